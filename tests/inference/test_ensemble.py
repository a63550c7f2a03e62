import numpy as np

from teethseg.config import ModelConfig
from teethseg.inference.ensemble import AveragedNetworks
from teethseg.inference.segmenter import Segmenter

CONFIG = ModelConfig(input_size=[8, 16], num_classes=3, class_names=["background", "11", "21"])


def constant_network(logits: list[float]):
    """A network that gives every pixel the same logits."""
    def backend(batch):
        values = np.asarray(logits, np.float32)[None, :, None, None]
        return np.broadcast_to(values, (len(batch), len(logits), *batch.shape[2:])).copy()
    return backend


def test_averaged_networks_give_the_mean_of_their_probabilities_and_the_first_ones_facts():
    first = Segmenter(constant_network([0.0, 2.0, 0.0]), CONFIG, "a", info={"typical_tooth_fractions": [0, 0.5, 0.5]})
    second = Segmenter(constant_network([0.0, 0.0, 2.0]), CONFIG, "b", info={})
    both = AveragedNetworks([first, second])
    images = [np.random.default_rng(0).random((20, 30), dtype=np.float32)]
    expected = (first.scores(images, mirror=False) + second.scores(images, mirror=False)) / 2
    assert np.allclose(both.scores(images, mirror=False), expected)
    assert both.name == "a + b" and both.config is CONFIG and both.info["typical_tooth_fractions"] == [0, 0.5, 0.5]


def test_a_segmenter_numbers_teeth_by_the_mean_of_its_numbering_networks():
    """Each numbering network alone names the tooth otherwise; their mean names it by the surer vote."""
    mask = Segmenter(constant_network([0.0, 3.0]), ModelConfig(input_size=[8, 16], num_classes=2), "mask")
    image = np.full((8, 16), 0.5, np.float32)
    sure_11 = Segmenter(constant_network([0.0, 3.0, 1.0]), CONFIG, "sure 11")
    unsure_21 = Segmenter(constant_network([0.0, 1.0, 1.5]), CONFIG, "unsure 21")
    mask.numbering = unsure_21
    assert {tooth["fdi"] for tooth in mask.predict(image).teeth} == {21}
    mask.numbering = AveragedNetworks([unsure_21, sure_11])
    assert {tooth["fdi"] for tooth in mask.predict(image).teeth} == {11}
