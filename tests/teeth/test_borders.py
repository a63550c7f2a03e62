import numpy as np

from teethseg.teeth.borders import redraw_borders
from teethseg.teeth.split import contact_share
from tests.teeth.test_split import contact_probabilities, two_touching_teeth


def test_a_border_drawn_off_the_contact_moves_back_to_it():
    truth = two_touching_teeth()
    shifted = truth.copy()
    shifted[4:16, 14:16] = 3  # the numbering put the border two pixels into tooth 7
    assert np.array_equal(redraw_borders(shifted, contact_share(contact_probabilities(truth))), truth)


def test_at_any_output_size():
    truth = two_touching_teeth()
    big = np.kron(truth, np.ones((3, 3), np.uint8))
    shifted = big.copy()
    shifted[12:48, 42:48] = 3
    redrawn = redraw_borders(shifted, contact_share(contact_probabilities(truth)))
    assert (redrawn != big).mean() < 0.01 < (shifted != big).mean()


def test_a_core_without_a_clear_majority_keeps_its_labels():
    truth = two_touching_teeth()
    mixed = truth.copy()
    mixed[4:10, 4:12] = 5  # half of tooth 3's core named 5: no number covers 80 % of it
    redrawn = redraw_borders(mixed, contact_share(contact_probabilities(truth)))
    assert np.array_equal(redrawn[4:16, 4:12], mixed[4:16, 4:12])
    assert not redraw_borders(np.zeros_like(truth), contact_share(contact_probabilities(truth))).any()
