"""French extraction: the spaCy pipeline, time normalisation, categories, roles, gazetteer and geocoder."""
