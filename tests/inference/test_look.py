"""The stage hand-overs: first looks, the frame put back, and what each stage notes."""

import numpy as np

from teethseg.config import ModelConfig
from teethseg.inference.frame import bright_frame_window, with_frame, without_frame
from teethseg.inference.look import Look, Networks, View
from teethseg.inference.network import Network

SIZE = [32, 32]


class CountingBackend:
    """A network whose logits say 'tooth' inside the bright pixels, counting its calls."""

    def __init__(self, classes: int) -> None:
        self.classes, self.calls = classes, 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.calls += 1
        bright = batch[:, 0] > 0
        logits = np.zeros((batch.shape[0], self.classes, *batch.shape[2:]), np.float32)
        logits[:, 0] = np.where(bright, -5, 5)
        logits[:, 1] = np.where(bright, 5, -5)
        return logits


def _networks(numbered: bool) -> tuple[Networks, CountingBackend, CountingBackend | None]:
    mask_backend = CountingBackend(2)
    mask = Network(mask_backend, ModelConfig(input_size=SIZE), "mask")
    numbering, numbering_backend = None, None
    names = ["background", "tooth"]
    if numbered:
        names = ["background", "11", "12"]
        numbering_backend = CountingBackend(3)
        numbering = Network(numbering_backend, ModelConfig(input_size=SIZE, class_names=names), "numbering")
    return Networks(mask, numbering, lambda: None, False, names, None), mask_backend, numbering_backend


def _radiograph() -> np.ndarray:
    image = np.full((40, 60), 0.1, np.float32)
    image[10:30, 20:30] = 0.9
    return image


def test_first_looks_call_each_network_once_for_the_batch_and_keep_the_numbering_scores():
    networks, mask_backend, numbering_backend = _networks(numbered=True)
    views = networks.first_looks([_radiograph(), _radiograph()])
    assert mask_backend.calls == 1 and numbering_backend.calls == 1
    for view in views:
        assert view.look.labels.shape == (40, 60) and view.look.labels[20, 25] > 0 and view.look.labels[5, 5] == 0
        assert view.numbers is not None and view.numbers.shape == (3, *SIZE)
        assert view.notes == {}


def test_a_later_look_reuses_the_numbering_scores_it_is_given():
    networks, mask_backend, numbering_backend = _networks(numbered=True)
    first = networks.first_looks([_radiograph()])[0]
    networks.look([first.image], numbering=[first.numbers])
    assert (mask_backend.calls, numbering_backend.calls) == (2, 1)


def test_whole_teeth_leaves_a_look_without_numbering_as_it_is():
    networks, _, _ = _networks(numbered=False)
    look = networks.first_looks([_radiograph()])[0].look
    assert networks.whole_teeth(look) is look


def test_the_frame_is_cut_before_looking_and_is_background_after():
    image = np.ones((50, 70), np.float32)
    image[5:45, 5:65] = _radiograph()
    frame = bright_frame_window(image)
    assert frame == (5, 5, 40, 60)
    inner = without_frame(image, frame)
    labels = np.zeros(inner.shape, np.uint8)
    labels[10:30, 20:30] = 1
    view = View(inner, Look(labels, np.full(inner.shape, 0.8, np.float32), np.zeros((2, *SIZE))),
                notes={"second_look": {"window_yxhw": [1, 2, 30, 40]}})
    whole_labels, whole_confidence = with_frame(view, frame, image.shape)
    assert whole_labels.shape == image.shape and whole_labels[:5].sum() == 0 and whole_labels.sum() == labels.sum()
    assert (whole_confidence[:5] == 1).all() and whole_confidence[20, 20] == np.float32(0.8)
    assert view.notes["bright_frame_cut"] == {"window_yxhw": [5, 5, 40, 60]}
    assert view.notes["second_look"]["window_yxhw"] == [6, 7, 30, 40]


def test_without_a_frame_nothing_moves():
    image = _radiograph()
    assert bright_frame_window(image) is None and without_frame(image, None) is image
    view = View(image, Look(np.zeros(image.shape, np.uint8), np.ones(image.shape, np.float32), np.zeros((2, *SIZE))))
    labels, _ = with_frame(view, None, image.shape)
    assert labels is view.look.labels and view.notes == {}
