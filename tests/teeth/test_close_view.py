import numpy as np

from teethseg.data.dataset import contact_classes
from teethseg.teeth.close_view import separate_teeth
from teethseg.teeth.split import contact_share
from tests.teeth.test_split import two_touching_teeth


def sure_share(truth: np.ndarray) -> np.ndarray:
    """A close-up network's contact share that is sure: 1 where teeth touch, 0 elsewhere."""
    classes = contact_classes(truth, 2)
    return contact_share(np.stack([(classes == c).astype(np.float32) for c in range(3)]))


def test_a_tooth_in_numbered_pieces_becomes_one_tooth_with_its_main_number():
    truth = two_touching_teeth()  # tooth 3 left, tooth 7 right
    pieces = truth.copy()
    pieces[12:16, 4:14] = 4  # the bottom third of tooth 3 named 4
    pieces[4:7, 20:24] = 8  # a corner of tooth 7 named 8
    assert np.array_equal(separate_teeth(pieces, sure_share(truth), 33), truth)


def test_two_teeth_with_the_same_main_number_keep_one_each():
    truth = two_touching_teeth()
    named = np.where(truth > 0, 5, 0).astype(np.uint8)
    named[4:8, 4:14] = 6  # left tooth: 80 pixels say 5, 40 say 6
    named[4:9, 14:24] = 4  # right tooth: 70 pixels say 5, 50 say 4
    separated = separate_teeth(named, sure_share(truth), 33)
    assert (separated[truth == 3] == 5).all()  # more votes for 5: it keeps 5
    assert (separated[truth == 7] == 4).all()  # its next choice


def test_the_mask_stays_at_any_output_size_and_without_cores_nothing_changes():
    truth = two_touching_teeth()
    big = np.kron(truth, np.ones((3, 3), np.uint8))
    pieces = big.copy()
    pieces[36:48, 12:42] = 9
    separated = separate_teeth(pieces, sure_share(truth), 33)
    assert np.array_equal(separated > 0, big > 0)
    assert (separated != big).mean() < 0.01 < (pieces != big).mean()
    assert np.array_equal(separate_teeth(pieces, np.ones(truth.shape, np.float32), 33), pieces)
    assert not separate_teeth(np.zeros_like(truth), sure_share(truth), 33).any()
