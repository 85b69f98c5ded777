#!/usr/bin/env python3
"""Decodes a PNG with Pillow, an implementation independent of Nerva's writer, for its tests.

Usage:
  png_decode.py FILE
      Prints {"mode": "L" | "RGB" | ..., "size": [width, height], "pixels": [...]} as JSON, where
      pixels lists every pixel row by row: an integer per pixel for one-band modes, a list of
      band values per pixel otherwise. Pillow verifies chunk CRCs and the zlib stream; a damaged
      file makes it raise and the script exit non-zero.

Requires `pip install pillow`.
"""
import json
import sys

from PIL import Image


def main(path):
    with Image.open(path) as checked:
        checked.verify()  # CRCs and chunk structure; the image must be reopened afterwards
    with Image.open(path) as image:
        image.load()
        width, height = image.size
        if len(image.getbands()) == 1:
            pixels = [image.getpixel((x, y)) for y in range(height) for x in range(width)]
        else:
            pixels = [list(image.getpixel((x, y))) for y in range(height) for x in range(width)]
        json.dump({"mode": image.mode, "size": [width, height], "pixels": pixels}, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
