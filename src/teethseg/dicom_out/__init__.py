"""DICOM answers to a prediction: a Segmentation (one segment per tooth) and a TID 1500 report.

The objects are built with highdicom, so they reference their source image the way PACS and
viewers expect (same patient, study and pixel grid).
"""
