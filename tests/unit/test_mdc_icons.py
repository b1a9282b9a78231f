"""Every Making Data Count icon the SPC code can name is drawn, as a PNG, and has words."""

import io

import pytest
from PIL import Image

from metrics.spc import ASSURANCE_ICONS, VARIATION_ICONS
from reports.mdc_icons import assurance_icon_png, variation_icon_png


@pytest.mark.parametrize("name", VARIATION_ICONS)
def test_variation_icons_draw(name):
    image = Image.open(io.BytesIO(variation_icon_png(name, 48)))
    assert image.size == (48, 48) and image.format == "PNG"
    assert len(set(image.convert("RGB").getdata())) > 5  # not blank
    assert VARIATION_ICONS[name]


@pytest.mark.parametrize("name", ASSURANCE_ICONS)
def test_assurance_icons_draw(name):
    image = Image.open(io.BytesIO(assurance_icon_png(name, 48)))
    assert image.size == (48, 48) and len(set(image.convert("RGB").getdata())) > 5
    assert ASSURANCE_ICONS[name]


def test_icons_differ_and_unknown_names_are_refused():
    assert variation_icon_png("improvement_high") != variation_icon_png("concern_high")
    assert variation_icon_png("concern_high") != variation_icon_png("concern_low")
    assert assurance_icon_png("consistently_pass") != assurance_icon_png("consistently_fail")
    with pytest.raises(ValueError):
        variation_icon_png("improving")
    with pytest.raises(ValueError):
        assurance_icon_png("pass")
