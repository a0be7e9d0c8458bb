"""Prévisions — ranked forecast cells, their explanation, the backtest against the baselines, on a map."""

from __future__ import annotations

from flask import Blueprint

forecast_page = Blueprint("forecast_page", __name__)
