"""The sizes teethseg accepts, shared by every reader so that none lets a bomb or a sliver through."""

# A 3300x1500 panoramic has 5 Mpx; 100 Mpx leaves room for any real radiograph and
# refuses headers that claim tens of thousands of pixels a side (decompression bombs).
MAX_PIXELS = 100_000_000
# The smallest side a radiograph to segment may have: networks see 256-512 pixels a side, so a
# thinner image is stretched many times over and its mask means nothing (the smallest dental
# sensor images are a few hundred pixels a side).
MIN_SIDE = 32
# A CBCT volume has a few hundred slices; these refuse headers that claim absurd stacks.
MAX_FRAMES = 2048
MAX_STACK_PIXELS = 300_000_000
# Prediction segments images over this many pixels at this size and puts the labels back at the
# input's own size: the networks see 256-512 pixels a side, so 16 Mpx (4096 x 4096) is far more
# than they use, while the largest dental radiographs (5 Mpx panoramics, 12 Mpx film scans) stay
# as they are. It bounds the memory per image (docs/limits.md, benchmarks/memory_peak.py).
WORK_PIXELS = 16_000_000
