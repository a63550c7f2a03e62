"""The training dataset: radiographs and masks read once, resized to the model geometry, cached.

Items are augmented (when asked), standardised over the whole image as at prediction time,
then cropped. Randomness depends only on (seed, epoch, item), so a resumed run repeats it.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from teethseg.config import ModelConfig
from teethseg.data.index import DatasetIndex, Problem, Sample
from teethseg.data.missing_teeth import close_gap, fdi_positions, remove_teeth
from teethseg.data.transforms import CLOSE_UP_AREA, horizontal_flip, train_augmentation
from teethseg.errors import TeethsegError
from teethseg.imaging.preprocess import normalize, resize_image, resize_labels
from teethseg.io.images import read_image
from teethseg.teeth.fdi import fdi_flip_table


def to_classes(mask: np.ndarray, model: ModelConfig, path: object = None) -> np.ndarray:
    """Label map -> training classes: any tooth for binary models, tooth or contact for
    contact models, the class itself for numbered ones."""
    if model.contact_width:
        return contact_classes(mask, model.contact_width)
    if model.num_classes == 2:
        return (mask > 0).astype(np.uint8)
    if mask.max(initial=0) >= model.num_classes:
        raise TeethsegError(path, f"mask value {int(mask.max())} is not a class of this {model.num_classes}-class model")
    return mask


def contact_classes(mask: np.ndarray, width: int) -> np.ndarray:
    """0 background, 1 tooth, 2 tooth pixel with another tooth's label within ``width`` pixels.

    Needs a mask with a value per tooth; with one value for all teeth there are no contacts.
    """
    labels = mask.astype(np.uint16)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    highest = cv2.dilate(labels, disc)
    lowest = cv2.erode(np.where(labels > 0, labels, np.iinfo(np.uint16).max).astype(np.uint16), disc)
    tooth = labels > 0
    contact = tooth & ((highest != labels) | (lowest != labels))
    return (tooth.astype(np.uint8) + contact).astype(np.uint8)


def load_samples(
    index: DatasetIndex, samples: list[Sample], model: ModelConfig, progress: bool = True, what: str = "images"
) -> tuple[list[Sample], list[np.ndarray], list[np.ndarray], list[Problem]]:
    """Read every sample at the model geometry; bad files become problems, not crashes."""
    kept, images, masks, problems = [], [], [], []
    for sample in tqdm(samples, desc=f"loading {what}", disable=None if progress else True, leave=False):
        try:
            image = read_image(sample.image)
            labels = resize_labels(index.read_mask(sample, image.shape), model.input_size)
            mask = to_classes(labels, model, sample.mask or sample.image)
        except TeethsegError as error:
            problems.append(Problem(sample.mask if "mask" in error.problem and sample.mask else sample.image, error.problem))
            continue
        kept.append(sample)
        images.append(resize_image(image, model.input_size))
        masks.append(mask)
    return kept, images, masks, problems


class SegmentationDataset(Dataset):
    """Cached, resized samples; augmented random crops for training or whole images for validation."""

    def __init__(
        self,
        images: list[np.ndarray],
        masks: list[np.ndarray],
        model: ModelConfig,
        augment: bool = False,
        hflip: bool = False,
        crop_size: int | None = None,
        samples_per_image: int = 1,
        seed: int = 0,
        scale: tuple[float, float] = (0.8, 1.2),
        remove_teeth: float = 0.0,
        close_gaps: float = 0.0,
        close_up: float = 0.0,
        close_up_area: tuple[float, float] = CLOSE_UP_AREA,
    ) -> None:
        self.images = images
        self.masks = masks
        self.model = model
        self.augmentation = train_augmentation(scale, close_up, model.input_size, close_up_area) if augment else None
        self.hflip = hflip
        self.remove_teeth = remove_teeth if augment else 0.0
        self.close_gaps = close_gaps if augment else 0.0
        self.fdi = fdi_positions(model.class_names or [])
        self.flip_table = fdi_flip_table(model.class_names, model.num_classes)
        self.crop_size = crop_size
        self.samples_per_image = samples_per_image
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Make this epoch's randomness differ from the others, repeatably."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.images) * self.samples_per_image

    def __getitem__(self, item: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[item % len(self.images)]
        mask = self.masks[item % len(self.images)]
        rng = np.random.default_rng([self.seed, self.epoch, item])
        if self.remove_teeth and rng.random() < self.remove_teeth:
            whole = mask
            image, mask = remove_teeth(image, mask, rng)
            if self.close_gaps and rng.random() < self.close_gaps:
                image, mask = close_gap(image, mask, whole, self.fdi, rng)
        if self.augmentation is not None:
            self.augmentation.set_random_seed(int(rng.integers(2**31)))
            out = self.augmentation(image=image, mask=mask)
            image, mask = out["image"], out["mask"]
        if self.hflip and rng.random() < 0.5:
            image, mask = horizontal_flip(image, mask, self.flip_table)
        image = normalize(image, self.model.normalization)
        if self.crop_size:
            image, mask = self._crop(image, mask, rng)
        return torch.from_numpy(np.ascontiguousarray(image))[None], torch.from_numpy(np.ascontiguousarray(mask)).long()

    def _crop(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        size = self.crop_size
        height, width = image.shape
        if height < size or width < size:
            pad = ((0, max(0, size - height)), (0, max(0, size - width)))
            image, mask = np.pad(image, pad, mode="reflect"), np.pad(mask, pad)
            height, width = image.shape
        top = int(rng.integers(0, height - size + 1))
        left = int(rng.integers(0, width - size + 1))
        return image[top : top + size, left : left + size], mask[top : top + size, left : left + size]
