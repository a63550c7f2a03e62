import numpy as np

from teethseg.data.dataset import contact_classes
from teethseg.teeth.postprocess import postprocess
from teethseg.teeth.split import border_pairs, contact_share, framing_scale, join_split_teeth, typical_tooth_fractions


def two_touching_teeth() -> np.ndarray:
    """Label map: tooth 3 at columns 4..13, tooth 7 at columns 14..23, touching."""
    labels = np.zeros((20, 30), np.uint8)
    labels[4:16, 4:14] = 3
    labels[4:16, 14:24] = 7
    return labels


def contact_probabilities(truth: np.ndarray) -> np.ndarray:
    """Confident background / tooth / contact probabilities for a true label map."""
    classes = contact_classes(truth, 2)
    return np.stack([(classes == c).astype(np.float32) * 0.9 + 0.05 for c in range(3)])


TYPICAL = [0.0] * 33
TYPICAL[3] = TYPICAL[4] = TYPICAL[7] = 120 / 600  # a tooth is 12 x 10 of the 20 x 30 image


def test_contact_classes_mark_only_where_teeth_touch():
    classes = contact_classes(two_touching_teeth(), 2)
    assert (classes[4:16, 12:16] == 2).all()  # two pixels each side of the border
    assert (classes[4:16, 4:12] == 1).all() and (classes[4:16, 16:24] == 1).all()  # borders with background are not contacts
    assert not classes[:4].any()
    assert contact_classes((two_touching_teeth() > 0).astype(np.uint8), 2).max() == 1  # one value: no contacts


def test_typical_fractions_are_medians_where_present():
    a, b = np.zeros((10, 10), np.uint8), np.zeros((10, 10), np.uint8)
    a[:2] = 1
    b[:4] = 1
    b[9, 9] = 2
    assert typical_tooth_fractions([a, b, b], 4) == [0.0, 0.4, 0.01, 0.0]


def test_a_tooth_named_twice_is_joined_and_real_neighbours_stay_apart():
    truth = two_touching_teeth()
    contacts = contact_probabilities(truth)
    predicted = truth.copy()
    predicted[4:16, 11:14] = 4  # a strip of tooth 3 named 4: no contact between 3 and 4
    pairs = {(a, b): share for a, b, share in border_pairs(predicted, contact_share(contacts))}
    assert pairs[(3, 4)] < 0.2 < pairs[(4, 7)]
    joined = join_split_teeth(predicted, contact_share(contacts), TYPICAL)
    assert np.array_equal(joined, truth)
    # two tooth-sized regions stay apart even where no contact is seen between them
    no_contacts = contact_probabilities(truth > 0)
    assert np.array_equal(join_split_teeth(truth, contact_share(no_contacts), TYPICAL), truth)


def test_joining_works_at_any_output_size_through_postprocess():
    truth = two_touching_teeth()
    contacts = contact_probabilities(truth)
    numbering = np.full((33, 20, 30), 0.01, np.float32)
    numbering[0][truth == 0] = 0.9
    numbering[3][:, 4:8] = 0.9  # tooth 3 named half 3, half 4: too even for a border to settle it
    numbering[4][:, 8:14] = 0.9
    numbering[7][:, 14:24] = 0.9
    split, _ = postprocess(contacts, (40, 60), numbering, contacts=True)
    joined, _ = postprocess(contacts, (40, 60), numbering, contacts=True, typical=TYPICAL)
    assert set(np.unique(split)) == {0, 3, 4, 7} and set(np.unique(joined)) == {0, 4, 7}


def small_teeth_row(count: int) -> np.ndarray:
    """``count`` teeth of 8 x 10 px (numbers 1, 2, ...) in a row; only teeth 1 and 2 touch."""
    labels = np.zeros((40, 130), np.uint8)
    for tooth in range(1, count + 1):
        left = 10 + (tooth - 1) * 10 - (2 if tooth > 1 else 0)
        labels[15:25, left : left + 8] = tooth
    return labels


def test_teeth_of_a_wider_view_are_not_joined_as_parts_of_one():
    typical = [0.0] + [200 / (40 * 130)] * 32  # the row's teeth are 0.4 of a typical tooth
    row = small_teeth_row(7)
    no_contacts = contact_share(contact_probabilities(row > 0))
    covered = np.bincount(row.ravel(), minlength=33) / row.size
    assert np.isclose(framing_scale(covered, typical), 0.4 / 0.85)
    assert np.array_equal(join_split_teeth(row, no_contacts, typical), row)
    # with too few teeth to judge the framing, the two touching small teeth count as one split tooth
    few = small_teeth_row(5)
    joined = join_split_teeth(few, contact_share(contact_probabilities(few > 0)), typical)
    assert 2 not in joined and (joined[few == 2] == 1).all()
    same = np.bincount(two_touching_teeth().ravel(), minlength=33) / 600
    assert framing_scale(same * 1.1, TYPICAL) == 1.0  # within patients' own variation


def test_border_pairs_match_a_ring_by_ring_definition():
    from teethseg.imaging.regions import dilate

    rng = np.random.default_rng(3)
    labels = np.kron(rng.integers(0, 6, size=(8, 10)), np.ones((4, 4), int)).astype(np.uint8)
    share = rng.random(labels.shape).astype(np.float32)
    expected = []
    rings = {c: dilate(labels == c, 1) & (labels != c) for c in range(1, 6)}
    for a in range(1, 6):
        for b in range(a + 1, 6):
            border = (rings[a] & (labels == b)) | (rings[b] & (labels == a))
            if border.sum() >= 6:
                expected.append((a, b, float(share[border].mean())))
    found = border_pairs(labels, share)
    assert [p[:2] for p in found] == [p[:2] for p in expected] and len(found) > 3
    assert np.allclose([p[2] for p in found], [p[2] for p in expected])


def test_a_contact_model_alone_gives_a_binary_mask():
    from teethseg.config import ModelConfig
    from teethseg.inference.segmenter import Segmenter

    truth = two_touching_teeth()
    contacts = contact_probabilities(truth)
    config = ModelConfig(num_classes=3, contact_width=2, input_size=[20, 30], class_names=["background", "tooth", "contact"])
    segmenter = Segmenter(lambda batch: np.log(contacts)[None].repeat(batch.shape[0], 0), config)
    result = segmenter.predict(np.zeros((40, 60), np.float32))
    assert not result.numbered and segmenter.class_names == ["background", "tooth"]
    assert set(np.unique(result.labels)) == {0, 1} and result.mask.sum() == 4 * (truth > 0).sum()
