import numpy as np
import pytest

from teethseg.teeth.arch_decoder import (
    decode_arches, decode_jaw, gap_log_likelihood, instance_evidence, neighbour_distances,
)
from teethseg.teeth.fdi import FDI_CLASS_ORDER, UPPER_ARCH


def _evidence(preferences: list[dict[int, float]], positions: int = 16) -> np.ndarray:
    """Log-evidence per instance: the given arch positions' probabilities, the rest shared out thinly."""
    evidence = np.full((len(preferences), positions), np.log(1e-4))
    for row, preferred in enumerate(preferences):
        for position, probability in preferred.items():
            evidence[row, position] = np.log(probability)
    return evidence


def test_a_wide_gap_moves_the_run_behind_it_by_one_only_when_gaps_count():
    # Five teeth in arch order; the last three lean slightly to their own position over the next
    # one, and a gap of two mean tooth widths lies between the second and third (one tooth missing).
    evidence = _evidence([{0: 0.9}, {1: 0.9}, {2: 0.55, 3: 0.45}, {3: 0.55, 4: 0.45}, {4: 0.55, 5: 0.45}])
    distances = np.array([0.83, 2.0, 0.83, 0.83])
    assert decode_jaw(evidence) == [0, 1, 2, 3, 4]
    assert decode_jaw(evidence, distances) == [0, 1, 3, 4, 5]
    # Without the gap (teeth side by side), the same evidence keeps its run.
    assert decode_jaw(evidence, np.full(4, 0.83)) == [0, 1, 2, 3, 4]


def test_a_sure_network_is_not_overruled_by_a_narrow_gap():
    evidence = _evidence([{0: 0.98}, {2: 0.98}, {3: 0.98}])  # the network is sure that position 1 is missing
    assert decode_jaw(evidence, np.array([0.9, 0.83])) == [0, 2, 3]


def test_positions_strictly_increase_across_the_midline():
    # Two central incisors (positions 7 = 11 and 8 = 21) both voting for 21: the left one must be 11.
    evidence = _evidence([{6: 0.9}, {7: 0.4, 8: 0.6}, {8: 0.9}, {9: 0.9}])
    assert decode_jaw(evidence) == [6, 7, 8, 9]
    path = decode_jaw(_evidence([{8: 0.6, 7: 0.4}, {8: 0.9}]))
    assert path == [7, 8]


def test_more_teeth_than_positions_is_refused():
    with pytest.raises(ValueError, match="17 teeth"):
        decode_jaw(np.zeros((17, 16)))
    assert decode_jaw(np.zeros((0, 16))) == []


def test_gap_likelihood_prefers_more_missing_teeth_for_wider_gaps():
    assert np.argmax(gap_log_likelihood(0.8)) == 0
    assert np.argmax(gap_log_likelihood(2.0)) in (1, 2)
    assert np.argmax(gap_log_likelihood(4.0)) >= 3


def test_instance_evidence_averages_each_label_over_its_pixels_at_the_model_size():
    labels = np.zeros((20, 30), np.uint8)
    labels[:10, :15] = 1
    labels[10:, 15:] = 2
    numbers = np.zeros((3, 10, 15), np.float32)
    numbers[1, :5, :] = 0.8  # the model's top rows
    numbers[2] = 1 - numbers[1]
    mean, mean_log = instance_evidence(labels, numbers)
    assert mean[1, 1] == pytest.approx(0.8) and mean[2, 2] == pytest.approx(1.0)
    assert mean_log[1, 1] == pytest.approx(np.log(0.8), rel=1e-6)
    assert mean_log[2, 1] == pytest.approx(np.log(1e-6), rel=1e-6)  # floored, not -inf


def test_a_tooth_too_small_for_the_model_size_still_gets_its_evidence():
    labels = np.zeros((40, 40), np.uint8)
    labels[:, :20] = 1
    labels[21, 33] = 2  # one pixel, which reading the labels at 10 x 10 passes over
    numbers = np.zeros((3, 10, 10), np.float32)
    numbers[1] = 1.0
    numbers[:, 5, 8] = [0.0, 0.3, 0.7]  # the model pixel under it
    mean, _ = instance_evidence(labels, numbers)
    assert mean[2] == pytest.approx([0.0, 0.3, 0.7]) and mean[1, 1] == pytest.approx(1.0)


def _class(fdi: int) -> int:
    return FDI_CLASS_ORDER.index(fdi) + 1


def _jaws(upper: list[tuple[int, int, dict[int, float]]], lower: list[tuple[int, int, dict[int, float]]]):
    """A 60 x 200 label map with teeth as columns [start, stop) in two rows, and numbering probabilities
    (33 x 60 x 200) that give each tooth's pixels the given FDI numbers' probabilities."""
    labels = np.zeros((60, 200), np.uint8)
    numbers = np.full((33, 60, 200), 1e-4, np.float32)
    numbers[0] = 1.0
    for rows, teeth in ((slice(5, 25), upper), (slice(35, 55), lower)):
        for start, stop, preferred in teeth:
            best = max(preferred, key=preferred.get)
            labels[rows, start:stop] = _class(best)
            numbers[0, rows, start:stop] = 1e-4
            for fdi, probability in preferred.items():
                numbers[_class(fdi), rows, start:stop] = probability
    return labels, numbers


def test_decode_arches_renames_a_shifted_run_beside_a_gap_and_keeps_every_region():
    # Upper right: 18, 17 present, 16 missing (a gap of one tooth), then 15 and 14, which the
    # network leans to call 16 and 15. Lower jaw: four teeth that are right.
    upper = [(10, 20, {18: 0.9}), (20, 30, {17: 0.9}), (40, 50, {16: 0.55, 15: 0.45}), (50, 60, {15: 0.55, 14: 0.45})]
    lower = [(10, 20, {48: 0.9}), (20, 30, {47: 0.9}), (30, 40, {46: 0.9}), (40, 50, {45: 0.9})]
    labels, numbers = _jaws(upper, lower)
    plain = decode_arches(labels, numbers, gaps=False)
    assert np.array_equal(plain, labels)  # the votes are in order already
    decoded = decode_arches(labels, numbers, gaps=True)
    assert decoded[10, 45] == _class(15) and decoded[10, 55] == _class(14)
    assert decoded[10, 15] == _class(18) and decoded[10, 25] == _class(17)
    assert all(decoded[45, 5 + 10 * i] == _class(fdi) for i, fdi in enumerate([48, 47, 46, 45], start=1))
    # Only names change: each old region is one new region, background stays background.
    pairs = {(int(a), int(b)) for a, b in zip(labels.ravel(), decoded.ravel())}
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
    assert (decoded > 0).sum() == (labels > 0).sum()


def test_decode_arches_puts_a_tooth_in_the_jaw_its_numbers_favour():
    # A tooth in the upper row whose pixels favour lower numbers is named in the lower jaw's order.
    upper = [(10, 20, {18: 0.9}), (20, 30, {17: 0.9})]
    lower = [(10, 20, {48: 0.9})]
    labels, numbers = _jaws(upper, lower)
    labels[5:25, 30:40] = _class(46)
    numbers[:, 5:25, 30:40] = 1e-4
    numbers[_class(46), 5:25, 30:40], numbers[_class(16), 5:25, 30:40] = 0.3, 0.25
    numbers[_class(47), 5:25, 30:40] = 0.29
    decoded = decode_arches(labels, numbers, gaps=False)
    assert decoded[10, 35] == _class(46)  # lower: after 48 its best is 46, not 16 (upper)


def test_decode_arches_keeps_names_it_cannot_decode():
    labels, numbers = _jaws([(8 * i, 8 * i + 8, {UPPER_ARCH[i]: 0.9}) for i in range(16)], [(150, 160, {38: 0.9})])
    assert np.array_equal(decode_arches(labels, numbers[:20]), labels)  # not the 32 FDI classes
    # A 17th tooth whose numbers favour the upper jaw: 17 teeth cannot take 16 numbers in order.
    labels[5:25, 170:180] = _class(48)
    numbers[:, 5:25, 170:180] = 1e-4
    numbers[_class(28), 5:25, 170:180] = 0.9
    assert np.array_equal(decode_arches(labels, numbers), labels)
    labels[5:25, 170:180] = 0  # sixteen: decoded, and as they were
    assert np.array_equal(decode_arches(labels, numbers), labels)


def test_postprocess_names_by_the_arch_only_when_asked_and_gives_renamed_teeth_their_new_confidence():
    from teethseg.teeth.postprocess import postprocess

    # Upper right: 18 and 17 side by side, then a gap of one tooth, then a tooth leaning to 16 over 15 (it is 15).
    labels, numbers = _jaws([(10, 30, {18: 0.9}), (30, 50, {17: 0.9}), (70, 90, {16: 0.55, 15: 0.45})], [])
    mask = np.stack([np.where(labels > 0, 0.05, 0.95), np.where(labels > 0, 0.95, 0.05)]).astype(np.float32)
    pixels, _ = postprocess(mask, labels.shape, numbers)
    assert pixels[10, 80] == _class(16)
    named, confidence = postprocess(mask, labels.shape, numbers, naming="arch-gaps")
    assert named[10, 80] == _class(15) and confidence[10, 80] == pytest.approx(0.45)
    assert np.array_equal(named[:, :60], pixels[:, :60])



def test_stacked_teeth_take_the_order_the_networks_give_them_and_no_gap_between_them():
    # Lower left: 34, then two stacked teeth (the networks say 36 for the upper one and 35 for the
    # one under it, whose centre lies a little to the right), then 37.
    labels, numbers = _jaws([], [(10, 30, {34: 0.9}), (60, 80, {37: 0.9})])
    labels[35:45, 31:55] = _class(36)  # the upper one of the stacked pair, its centre at column 43
    labels[45:55, 34:56] = _class(35)  # the lower one, its centre at column 45: to the right of the other
    numbers[:, 35:55, 31:56] = 1e-4
    numbers[_class(36), 35:45, 31:55] = 0.9
    numbers[_class(35), 45:55, 34:56] = 0.9
    for gaps in (False, True):
        decoded = decode_arches(labels, numbers, gaps=gaps)
        assert decoded[40, 40] == _class(36) and decoded[50, 45] == _class(35), gaps
        assert decoded[45, 20] == _class(34) and decoded[45, 70] == _class(37), gaps


def test_neighbour_distances_say_nothing_for_stacked_teeth():
    centre, first, last = np.array([10.0, 30.0, 33.0]), np.array([0.0, 20.0, 24.0]), np.array([19.0, 39.0, 43.0])
    distances = neighbour_distances(centre, first, last)
    assert distances[0] == pytest.approx(1.0) and np.isnan(distances[1])
