import numpy as np
import pytest
import torch
from monai.metrics import compute_dice

from teethseg.evaluation.metrics import BinaryMetrics, Counts, compute_binary_scores, confusion_counts


def test_scores_match_hand_computed_values():
    prediction = np.array([[1, 1, 0, 0], [1, 0, 0, 0]])
    truth = np.array([[1, 0, 0, 0], [1, 1, 1, 0]])
    # tp = 2, fp = 1, fn = 2, tn = 3
    assert confusion_counts(prediction, truth) == Counts(2, 1, 2, 3)
    scores = compute_binary_scores(prediction, truth)
    assert scores["accuracy"] == pytest.approx(5 / 8)
    assert scores["dice"] == pytest.approx(4 / 7)
    assert scores["iou"] == pytest.approx(2 / 5)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 4)


def test_empty_prediction_and_truth_score_perfectly():
    empty = np.zeros((3, 3))
    assert compute_binary_scores(empty, empty) == {k: 1.0 for k in ("accuracy", "dice", "iou", "precision", "recall")}
    scores = compute_binary_scores(empty, np.eye(3))
    assert scores["dice"] == 0.0 and scores["precision"] == 0.0 and scores["recall"] == 0.0


def test_dice_agrees_with_monai():
    rng = np.random.default_rng(0)
    prediction = rng.random((40, 50)) > 0.5
    truth = rng.random((40, 50)) > 0.4
    ours = compute_binary_scores(prediction, truth)["dice"]
    theirs = compute_dice(torch.tensor(prediction)[None, None].float(), torch.tensor(truth)[None, None].float())
    assert ours == pytest.approx(float(theirs), abs=1e-6)


def test_mean_over_images_differs_from_pooled():
    metrics = BinaryMetrics()
    metrics.update(np.ones((2, 2)), np.ones((2, 2)), "a")  # dice 1
    metrics.update(np.array([[1, 0, 0, 0]] * 4), np.array([[1, 1, 1, 1]] * 4), "b")  # tp 4 fn 12 -> 8/20
    summary = metrics.summary()
    assert summary["images"] == 2
    assert summary["mean_over_images"]["dice"] == pytest.approx((1 + 0.4) / 2)
    assert summary["over_all_pixels"]["dice"] == pytest.approx(16 / 28)
    assert [row["image"] for row in metrics.per_image()] == ["a", "b"]


def test_shape_mismatch_and_empty_summary_raise():
    with pytest.raises(ValueError):
        confusion_counts(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        BinaryMetrics().summary()


def test_per_class_dice_and_tooth_metrics():
    from teethseg.evaluation.metrics import ToothMetrics, per_class_dice, tooth_group

    truth = np.array([[1, 1, 2, 2], [0, 0, 3, 3]])
    prediction = np.array([[1, 1, 2, 0], [0, 4, 3, 3]])
    assert per_class_dice(prediction, truth, 5) == {1: 1.0, 2: pytest.approx(2 / 3), 3: 1.0, 4: 0.0}
    names = ["background", "11", "13", "16", "21"]
    metrics = ToothMetrics(names)
    metrics.update(prediction, truth)
    summary = metrics.summary()
    assert summary["per_tooth_dice"] == {"11": 1.0, "13": pytest.approx(2 / 3), "16": 1.0, "21": 0.0}
    assert summary["group_dice"] == {"incisors": 0.5, "canines": pytest.approx(2 / 3), "molars": 1.0}
    assert summary["tooth_count_accuracy"] == 0.0  # 4 predicted, 3 true
    assert summary["missing_teeth"]["truly_missing"] == 1 and summary["missing_teeth"]["recall"] == 0.0  # 21 invented
    assert tooth_group("48") == "molars" and tooth_group("34") == "premolars" and tooth_group("tooth") is None


def test_missing_teeth_are_scored_as_calls_over_all_images():
    from teethseg.evaluation.metrics import ToothMetrics

    metrics = ToothMetrics(["background", "11", "12", "13", "14"])
    truth = np.array([[1, 2, 0, 0]])  # 13 and 14 missing
    metrics.update(np.array([[1, 2, 0, 0]]), truth)  # both called: list right
    metrics.update(np.array([[1, 1, 3, 0]]), truth)  # 14 called (right), 12 called (false alarm), 13 not called
    missing = metrics.summary()["missing_teeth"]
    assert missing == {"truly_missing": 4, "called_missing": 4, "precision": 0.75, "recall": 0.75, "images_exact": 0.5}


def test_numbers_to_check_are_scored_against_the_wrong_numbers():
    from teethseg.evaluation.metrics import ToothMetrics

    metrics = ToothMetrics(["background", "11", "12", "13", "14"])
    truth = np.array([[1, 1, 2, 2, 3, 3, 0, 0]])  # 14 missing
    # 11 right (flagged), 12 named 13 and 13 named 14 (a shifted run; 13 flagged), 12 called missing
    metrics.update(np.array([[1, 1, 3, 3, 4, 4, 0, 0]]), truth, flagged={1, 3})
    metrics.update(truth, truth, flagged=set())  # all right, none flagged: the list is right
    metrics.update(np.array([[1, 1, 2, 2, 0, 0, 0, 4]]), truth, flagged=set())  # 14 over no true tooth: left out
    checks = metrics.summary()["numbers_to_check"]
    assert checks == {"teeth": 8, "wrong": 2, "flagged": 2, "flagged_wrong": 1, "wrong_caught": 0.5,
                      "wrong_among_flagged": 0.5, "wrong_among_rest": pytest.approx(1 / 6), "images_clear": 2,
                      "list_right_when_clear": 0.5}


def test_whole_teeth_counts_teeth_found_whole_whatever_their_number():
    from teethseg.evaluation.metrics import whole_teeth

    truth = np.zeros((10, 20), np.uint8)
    truth[:, 0:5], truth[:, 5:10], truth[:, 10:15], truth[0, 19] = 1, 2, 3, 4  # tooth 4: one pixel, too small
    prediction = np.zeros_like(truth)
    prediction[:, 0:5] = 9  # tooth 1 whole, under another number
    prediction[:, 5:8], prediction[:, 8:10] = 2, 3  # tooth 2 in two pieces: IoU 0.6, then 0.4
    prediction[:4, 10:15] = 5  # a third of tooth 3: IoU 0.4
    assert whole_teeth(prediction, truth, min_fraction=0.01) == (2, 3, 4)
    assert whole_teeth(prediction, truth, min_fraction=0.15) == (2, 3, 2)  # 30 pixels or more: the 20-pixel pieces drop out
    assert whole_teeth(np.zeros_like(truth), truth) == (0, 3, 0)
    with pytest.raises(ValueError):
        whole_teeth(prediction, truth[:, :10])


def test_instance_quality_counts_whole_split_and_merged_teeth():
    from teethseg.evaluation.metrics import InstanceQuality

    truth = np.zeros((10, 40), np.uint8)
    truth[:, 0:10], truth[:, 10:20], truth[:, 20:30], truth[:, 30:40] = 1, 2, 3, 4
    found = np.zeros_like(truth)
    found[:, 0:10] = 7  # tooth 1 found whole (under any number)
    found[:, 10:17], found[:, 17:20] = 2, 5  # tooth 2 split in two (its larger part still IoU 0.7)
    found[:, 20:40] = 3  # teeth 3 and 4 merged (IoU 0.5 each: neither found whole)
    quality = InstanceQuality()
    quality.update(found, truth)
    quality.update(truth, truth)
    summary = quality.summary()
    assert summary["true_teeth"] == 8 and summary["found_teeth"] == 8
    assert summary["found_whole"] == pytest.approx(6 / 8)  # teeth 1 and 2, and all four of the second image
    assert summary["splits_per_image"] == pytest.approx(0.5) and summary["merges_per_image"] == pytest.approx(0.5)
