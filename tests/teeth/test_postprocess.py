import numpy as np

from teethseg.teeth.postprocess import labels_at_size, one_region_per_tooth, postprocess, remove_small_blobs


def test_binary_labels_threshold_tooth_probability():
    probabilities = np.zeros((2, 4, 4), np.float32)
    probabilities[1, :2] = 0.8
    probabilities[0] = 1 - probabilities[1]
    labels, confidence = labels_at_size(probabilities, (8, 8))
    assert labels.shape == (8, 8) and labels[:3].all() and not labels[5:].any()
    assert confidence.min() >= 0.5


def test_split_vote_between_teeth_stays_tooth():
    probabilities = np.zeros((3, 2, 2), np.float32)
    probabilities[:, 0, 0] = [0.4, 0.3, 0.3]  # background wins the arg-max, teeth win the mask
    probabilities[:, 1, 1] = [0.9, 0.05, 0.05]
    probabilities[:, 0, 1] = [0.1, 0.2, 0.7]
    probabilities[:, 1, 0] = [0.6, 0.3, 0.1]
    labels, _ = labels_at_size(probabilities, (2, 2))
    assert labels[0, 0] in (1, 2) and labels[0, 1] == 2 and labels[1, 1] == 0 and labels[1, 0] == 0


def test_one_region_per_tooth_merges_touching_and_drops_isolated_fragments():
    labels = np.zeros((20, 30), np.uint8)
    labels[2:12, 2:8] = 5  # tooth 5, main region
    labels[2:12, 8:14] = 6  # tooth 6
    labels[4:6, 14:16] = 5  # fragment of 5 touching 6 -> becomes 6
    labels[15:18, 25:28] = 5  # isolated fragment of 5 -> dropped
    cleaned = one_region_per_tooth(labels)
    assert (cleaned[2:12, 2:8] == 5).all()
    assert (cleaned[4:6, 14:16] == 6).all()
    assert not cleaned[15:18, 25:28].any()
    for c in (5, 6):
        from scipy import ndimage

        assert ndimage.label(cleaned == c)[1] == 1


def test_a_lone_tooth_whose_number_was_taken_keeps_its_pixels_and_takes_the_likeliest_free_number():
    labels = np.zeros((20, 30), np.uint8)
    labels[2:12, 2:8] = 5  # tooth 5, main region
    labels[2:12, 20:26] = 5  # a lone tooth that was also named 5 (60 px)
    labels[2:12, 10:14] = 6  # tooth 6 (takes 6)
    numbers = np.full((8, 20, 30), 0.01, np.float32)
    numbers[5], numbers[6], numbers[7] = 0.5, 0.3, 0.2  # 5 and 6 taken: 7 is the likeliest free number
    numbers[3, 2:12, 20:26] = 0.25  # ...except on the lone tooth, where 3 beats 7
    kept = one_region_per_tooth(labels, min_tooth_area=10, numbers=numbers, lone_tooth_area=50)
    assert (kept[2:12, 20:26] == 3).all() and (kept[2:12, 2:8] == 5).all() and (kept[2:12, 10:14] == 6).all()
    # Smaller than a lone tooth must be, or without numbering probabilities: dropped as before.
    assert not one_region_per_tooth(labels, 10, numbers, lone_tooth_area=61)[2:12, 20:26].any()
    assert not one_region_per_tooth(labels, 10)[2:12, 20:26].any()
    # Every number taken: dropped.
    full = np.where(labels == 5, 1, np.where(labels == 6, 2, 0)).astype(np.uint8)
    assert not one_region_per_tooth(full, 10, numbers[:3], lone_tooth_area=50)[2:12, 20:26].any()


def test_small_blobs_go_and_postprocess_keeps_size():
    labels = np.zeros((10, 10), np.uint8)
    labels[0, 0] = 1
    labels[3:8, 3:8] = 1
    assert remove_small_blobs(labels, 4).sum() == 25
    probabilities = np.random.default_rng(0).dirichlet(np.ones(33), size=(16, 16)).transpose(2, 0, 1).astype(np.float32)
    labels, confidence = postprocess(probabilities, (37, 41))
    assert labels.shape == confidence.shape == (37, 41) and labels.max() <= 32


def test_a_sliver_too_small_to_be_a_tooth_joins_its_neighbour():
    labels = np.zeros((20, 30), np.uint8)
    labels[2:12, 2:10] = 3
    labels[2:4, 10:12] = 7  # the only region of class 7, 4 px
    assert (one_region_per_tooth(labels)[2:4, 10:12] == 7).all()
    cleaned = one_region_per_tooth(labels, min_tooth_area=10)
    assert (cleaned[2:4, 10:12] == 3).all() and 7 not in cleaned


def smooth_probabilities(seed: int, classes: int = 33, shape=(24, 40)) -> np.ndarray:
    """Class probabilities that vary smoothly, like a network's, with teeth in blobs."""
    import cv2

    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 4, (classes, shape[0] // 4, shape[1] // 4)).astype(np.float32)
    logits = np.stack([cv2.resize(l, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC) for l in logits])
    exp = np.exp(logits - logits.max(axis=0))
    return (exp / exp.sum(axis=0)).astype(np.float32)


def test_box_limited_tooth_classes_equal_resizing_every_class_whole():
    from teethseg.imaging.preprocess import resize_scores
    from teethseg.teeth.postprocess import tooth_classes

    for seed, size in ((0, (24, 40)), (1, (97, 131)), (2, (13, 17)), (3, (24, 40))):
        probabilities = smooth_probabilities(seed)
        full = resize_scores(probabilities, size)
        foreground = full[0] < 0.5
        labels, best = tooth_classes(probabilities, size, foreground)
        expected = full[1:].argmax(axis=0) + 1
        assert foreground.any() and (labels[~foreground] == 0).all()
        assert (labels[foreground] == expected[foreground]).mean() > 0.999
        assert np.allclose(best[foreground], full[1:].max(axis=0)[foreground], atol=1e-5)


def test_tooth_pixels_of_a_mask_model_always_get_a_number():
    from teethseg.teeth.postprocess import tooth_classes

    probabilities = smooth_probabilities(4)
    probabilities[0] = 0.999  # this model sees no tooth at all
    probabilities[1:] = 0.001 / 32
    probabilities[5, :, :20] += 0.0001
    where = np.ones((48, 80), bool)
    labels, _ = tooth_classes(probabilities, (48, 80), where)
    assert (labels[:, :36] == 5).all() and (labels > 0).all()


def test_renamed_and_dropped_pixels_get_the_confidence_of_their_new_label():
    from teethseg.imaging.preprocess import resize_scores
    from teethseg.teeth.postprocess import class_probability_at

    mask = np.zeros((2, 20, 30), np.float32)
    mask[1, 2:12, 2:14] = 0.9  # one tooth ...
    mask[1, 15:16, 25:26] = 0.8  # ... and a speck too small to keep
    mask[0] = 1 - mask[1]
    numbering = np.full((33, 20, 30), 0.01 / 31, np.float32)
    numbering[5, :, :8], numbering[6, :, 8:] = 0.6, 0.6  # two teeth, 5 and 6 ...
    numbering[6, 4:6, 3:6], numbering[5, 4:6, 3:6] = 0.39, 0.2  # ... and 6 wins an island inside 5
    numbering[0] = 1 - numbering[1:].sum(axis=0)
    labels, confidence = postprocess(mask, (20, 30), numbering)
    assert (labels[2:12, 2:8] == 5).all() and (labels[2:12, 8:14] == 6).all() and labels[15, 25] == 0
    assert np.allclose(confidence[4:6, 3:6], 0.2)  # the island joined 5; it had 6's 0.39
    assert np.isclose(confidence[15, 25], 0.2)  # background, was the speck's tooth probability 0.8
    assert np.isclose(confidence[2, 2], 0.6)
    pixels = (np.array([0, 7, 19]), np.array([0, 11, 29]))
    expected = resize_scores(numbering, (41, 63))[[5, 6, 7], pixels[0], pixels[1]]
    assert np.allclose(class_probability_at(numbering, (41, 63), pixels, np.array([5, 6, 7])), expected, atol=1e-5)


def test_postprocess_keeps_a_lone_tooth_named_like_another_when_typical_sizes_are_known():
    mask = np.zeros((2, 20, 30), np.float32)
    mask[1, 2:12, 2:8] = mask[1, 2:12, 20:26] = 0.9  # two teeth apart
    mask[0] = 1 - mask[1]
    numbering = np.zeros((3, 20, 30), np.float32)
    numbering[0], numbering[1], numbering[2] = 0.1, 0.6, 0.3  # both look like tooth 1
    kept, _ = postprocess(mask, (20, 30), numbering, typical=[0.0, 0.05, 0.05])
    assert sorted(np.unique(kept)) == [0, 1, 2] and (kept > 0).sum() == 120
    dropped, _ = postprocess(mask, (20, 30), numbering)  # no typical sizes: the smaller twin goes, as before
    assert (dropped > 0).sum() == 60
