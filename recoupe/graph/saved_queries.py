"""The console's library of saved queries: the read-only Cypher an analyst of a city's incidents reruns.

Each query has a stable id (URLs and tests name it), a French title and description for the console page, the
statement (`$parameters` only; each passes `statement_check.check_statement`) and its parameters with their
defaults. Periods are counted back from the latest incident in the graph, not from today, so that a graph
loaded from an older extract still answers "this week" about its own last week. Stored times are UTC; hours of
the day are read in Paris time. Column names are French, for the analysts who read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The latest incident's time, as a zoned UTC datetime (ArcadeDB hands stored times back as local UTC times).
_LATEST = """MATCH (l:Incident) WHERE l.occurred_from IS NOT NULL
WITH datetime({datetime: max(l.occurred_from), timezone: 'UTC'}) AS fin"""
_PARIS_HOUR = (  # the hour of the day in Paris of a stored UTC time
    "datetime({datetime: datetime({datetime: i.occurred_from, timezone: 'UTC'}), "
    "timezone: 'Europe/Paris'}).hour"
)


@dataclass(frozen=True)
class Parameter:
    """A `$name` of a saved query: its French label, its JSON type ("integer" or "string") and its default."""

    name: str
    label: str
    kind: str
    default: int | str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "type": self.kind, "default": self.default}


@dataclass(frozen=True)
class SavedQuery:
    """One query of the library; `graph` says its rows hold nodes and relationships to draw."""

    id: str
    title: str
    description: str
    cypher: str
    parameters: tuple[Parameter, ...] = ()
    graph: bool = False

    def defaults(self) -> dict[str, int | str]:
        return {p.name: p.default for p in self.parameters}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "cypher": self.cypher,
            "parameters": [p.as_dict() for p in self.parameters],
            "graph": self.graph,
        }


def _top(default: int = 20) -> Parameter:
    return Parameter("top", "Nombre de lignes", "integer", default)


def _days(default: int) -> Parameter:
    return Parameter("days", "Période (jours)", "integer", default)


SAVED_QUERIES: tuple[SavedQuery, ...] = (
    SavedQuery(
        "incidents-missed-by-out-cameras",
        "Incidents dans le champ d'une caméra en panne",
        "Les incidents survenus dans le champ de vision d'une caméra alors hors service (lien MISSED_BY) : "
        "des images qui manquent à l'enquête, et des caméras à réparer en priorité.",
        """MATCH (i:Incident)-[m:MISSED_BY]->(c:Camera)
RETURN i.id AS incident, i.category AS categorie, i.occurred_from AS survenu_le, c.id AS camera,
       c.label AS libelle, m.distance_m AS distance_m
ORDER BY survenu_le DESC, incident
LIMIT $top""",
        (_top(100),),
    ),
    SavedQuery(
        "plates-in-several-incidents",
        "Plaques vues dans plusieurs incidents",
        "Les plaques d'immatriculation citées dans au moins N incidents (3 par défaut), avec ces incidents.",
        """MATCH (i:Incident)-[:INVOLVES]->(p:Plate)
WITH p, count(DISTINCT i) AS incidents, collect(DISTINCT i.id) AS liste
WHERE incidents >= $min_incidents
RETURN p.id AS plaque, incidents, liste
ORDER BY incidents DESC, plaque""",
        (Parameter("min_incidents", "Incidents au moins", "integer", 3),),
    ),
    SavedQuery(
        "incidents-of-a-plate",
        "Incidents d'une plaque",
        "Les incidents qui citent une plaque donnée (forme normalisée, AB-123-CD), dans l'ordre du temps, "
        "avec leur lieu.",
        """MATCH (i:Incident)-[:INVOLVES]->(:Plate {id: $plate})
OPTIONAL MATCH (i)-[:OCCURRED_AT]->(p:Place)
RETURN i.id AS incident, i.category AS categorie, i.occurred_from AS survenu_le, p.name AS lieu
ORDER BY survenu_le, incident""",
        (Parameter("plate", "Plaque", "string", "AB-123-CD"),),
    ),
    SavedQuery(
        "assets-damaged-repeatedly",
        "Mobilier urbain endommagé à répétition",
        "Le mobilier urbain (abribus, lampadaires…) endommagé par au moins N incidents, avec la première et "
        "la dernière dégradation.",
        """MATCH (i:Incident)-[:DAMAGED]->(s:StreetAsset)
WITH s, count(DISTINCT i) AS degradations, min(i.occurred_from) AS premiere, max(i.occurred_from) AS derniere
WHERE degradations >= $min_damages
RETURN s.id AS mobilier, s.asset_type AS type, s.label AS libelle, degradations, premiere, derniere
ORDER BY degradations DESC, mobilier""",
        (Parameter("min_damages", "Dégradations au moins", "integer", 2),),
    ),
    SavedQuery(
        "series-growing",
        "Séries qui grossissent cette semaine",
        "Les séries d'incidents liés (calculées par « recoupe analytics ») qui ont reçu au moins un incident "
        "pendant les N derniers jours de données (7 par défaut), avec leur taille avant cette période.",
        _LATEST
        + """, $days AS jours
MATCH (i:Incident) WHERE i.series_id IS NOT NULL AND i.occurred_from IS NOT NULL
WITH i.series_id AS serie, count(i) AS taille,
     sum(CASE WHEN i.occurred_from > fin - duration({days: jours}) THEN 1 ELSE 0 END) AS nouveaux
WHERE nouveaux > 0 AND taille >= 2
RETURN serie, taille, nouveaux, taille - nouveaux AS avant
ORDER BY nouveaux DESC, taille DESC, serie""",
        (_days(7),),
    ),
    SavedQuery(
        "repeat-suspects",
        "Mis en cause dans plusieurs incidents",
        "Les personnes mises en cause (rôle « suspect ») dans au moins N incidents, par leur pseudonyme, "
        "avec les catégories de ces incidents.",
        """MATCH (i:Incident)-[r:INVOLVES]->(p:Person)
WHERE r.role = 'suspect'
WITH p, count(DISTINCT i) AS incidents, collect(DISTINCT i.category) AS categories
WHERE incidents >= $min_incidents
RETURN p.pseudonym AS pseudonyme, incidents, categories
ORDER BY incidents DESC, pseudonyme""",
        (Parameter("min_incidents", "Incidents au moins", "integer", 2),),
    ),
    SavedQuery(
        "repeat-victims",
        "Victimes à répétition",
        "Les personnes victimes dans au moins N incidents (victimation répétée), par leur pseudonyme.",
        """MATCH (i:Incident)-[r:INVOLVES]->(p:Person)
WHERE r.role = 'victim'
WITH p, count(DISTINCT i) AS incidents, min(i.occurred_from) AS premier, max(i.occurred_from) AS dernier
WHERE incidents >= $min_incidents
RETURN p.pseudonym AS pseudonyme, incidents, premier, dernier
ORDER BY incidents DESC, pseudonyme""",
        (Parameter("min_incidents", "Incidents au moins", "integer", 2),),
    ),
    SavedQuery(
        "quartiers-month-over-month",
        "Incidents par quartier : ce mois-ci et le précédent",
        "Le nombre d'incidents de chaque quartier pendant le mois du dernier incident et le mois précédent, "
        "et l'évolution.",
        _LATEST
        + """
WITH datetime.truncate('month', fin) AS mois
WITH mois, mois - duration({months: 1}) AS precedent, mois + duration({months: 1}) AS suivant
MATCH (i:Incident)-[:OCCURRED_AT]->(:Place)-[:IN]->(q:Quartier)
WHERE i.occurred_from >= precedent AND i.occurred_from < suivant
WITH q.name AS quartier, sum(CASE WHEN i.occurred_from >= mois THEN 1 ELSE 0 END) AS ce_mois,
     sum(CASE WHEN i.occurred_from < mois THEN 1 ELSE 0 END) AS mois_precedent
RETURN quartier, ce_mois, mois_precedent, ce_mois - mois_precedent AS evolution
ORDER BY ce_mois DESC, quartier""",
    ),
    SavedQuery(
        "cameras-seeing-most-incidents",
        "Caméras qui voient le plus d'incidents",
        "Les caméras dont le champ de vision couvre le plus d'incidents pendant qu'elles fonctionnaient "
        "(lien SEEN_BY), avec le dernier incident vu.",
        """MATCH (i:Incident)-[:SEEN_BY]->(c:Camera)
RETURN c.id AS camera, c.label AS libelle, count(DISTINCT i) AS incidents, max(i.occurred_from) AS dernier
ORDER BY incidents DESC, camera
LIMIT $top""",
        (_top(),),
    ),
    SavedQuery(
        "vehicles-across-quartiers",
        "Véhicules d'incidents dans plusieurs quartiers",
        "Les véhicules décrits dans des incidents d'au moins deux quartiers différents, avec leurs plaques.",
        """MATCH (v:Vehicle)<-[:INVOLVES]-(i:Incident)-[:OCCURRED_AT]->(:Place)-[:IN]->(q:Quartier)
WITH v, count(DISTINCT i) AS incidents, collect(DISTINCT q.name) AS quartiers
WHERE size(quartiers) >= 2
OPTIONAL MATCH (v)-[:HAS_PLATE]->(p:Plate)
RETURN v.id AS vehicule, v.description AS description, collect(DISTINCT p.id) AS plaques, incidents,
       quartiers
ORDER BY incidents DESC, vehicule""",
    ),
    SavedQuery(
        "night-incidents-by-category",
        "Incidents de nuit par catégorie",
        "Le nombre d'incidents commencés la nuit (heure de Paris, de 22 h à 6 h par défaut), par catégorie.",
        f"""MATCH (i:Incident) WHERE i.occurred_from IS NOT NULL
WITH i, {_PARIS_HOUR} AS heure
WHERE heure >= $from_hour OR heure < $to_hour
RETURN i.category AS categorie, count(*) AS incidents
ORDER BY incidents DESC, categorie""",
        (
            Parameter("from_hour", "De (heure)", "integer", 22),
            Parameter("to_hour", "À (heure)", "integer", 6),
        ),
    ),
    SavedQuery(
        "top-forecast-cells",
        "Mailles les plus à risque (prévisions)",
        "Les prévisions les plus probables : maille, catégorie, probabilité, période de validité et "
        "explication.",
        """MATCH (f:Forecast)-[:FORECAST_FOR]->(c:Cell)
RETURN c.id AS maille, f.category AS categorie, f.probability AS probabilite, f.horizon AS horizon,
       f.valid_from AS du, f.valid_to AS au, f.explanation AS explication
ORDER BY probabilite DESC, maille
LIMIT $top""",
        (_top(),),
    ),
    SavedQuery(
        "incidents-without-place",
        "Incidents sans lieu géocodé",
        "Les incidents qu'aucun lieu ne situe (ni coordonnées ni lien OCCURRED_AT) : à relire pour compléter "
        "l'adresse.",
        """MATCH (i:Incident)
WHERE i.lat IS NULL OR NOT (i)-[:OCCURRED_AT]->(:Place)
RETURN i.id AS incident, i.category AS categorie, i.occurred_from AS survenu_le, i.source AS source,
       i.text AS texte
ORDER BY survenu_le DESC, incident
LIMIT $top""",
        (_top(100),),
    ),
    SavedQuery(
        "incidents-per-day",
        "Incidents par jour (derniers jours)",
        "Le nombre d'incidents de chaque jour (UTC) pendant les N derniers jours de données, toutes "
        "catégories.",
        _LATEST
        + """, $days AS jours
MATCH (i:Incident)
WHERE i.occurred_from > fin - duration({days: jours})
RETURN date(datetime({datetime: i.occurred_from, timezone: 'UTC'})) AS jour, count(*) AS incidents
ORDER BY jour""",
        (_days(14),),
    ),
    SavedQuery(
        "near-repeats-graph",
        "Répétitions proches (graphe)",
        "Les paires d'incidents proches dans l'espace et le temps (lien NEAR_REPEAT), à voir en graphe.",
        """MATCH (a:Incident)-[r:NEAR_REPEAT]->(b:Incident)
RETURN a, r, b
LIMIT $top""",
        (_top(200),),
        graph=True,
    ),
    SavedQuery(
        "shared-plates-graph",
        "Plaques partagées et leurs incidents (graphe)",
        "Les plaques citées dans au moins N incidents, reliées à ces incidents, à voir en graphe.",
        """MATCH (:Incident)-[:INVOLVES]->(p:Plate)
WITH p, count(*) AS incidents
WHERE incidents >= $min_incidents
MATCH (i:Incident)-[r:INVOLVES]->(p)
RETURN i, r, p""",
        (Parameter("min_incidents", "Incidents au moins", "integer", 2),),
        graph=True,
    ),
    SavedQuery(
        "suspects-graph",
        "Mis en cause et leurs incidents (graphe)",
        "Les personnes mises en cause dans au moins N incidents, reliées à ces incidents (personnes par "
        "pseudonyme), à voir en graphe.",
        """MATCH (:Incident)-[s:INVOLVES]->(p:Person)
WHERE s.role = 'suspect'
WITH p, count(*) AS incidents
WHERE incidents >= $min_incidents
MATCH (i:Incident)-[r:INVOLVES]->(p)
WHERE r.role = 'suspect'
RETURN i, r, p""",
        (Parameter("min_incidents", "Incidents au moins", "integer", 2),),
        graph=True,
    ),
)
