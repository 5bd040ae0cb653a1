"""The travel model: how long a trip to a practitioner takes, and how well they fit.

All constants live here. Hours are door to door. A trip of up to DRIVE_LIMIT_KM
(great-circle) within the patient's country or into a country sharing a land border with
it can be driven: roads are ROAD_FACTOR times longer than the great circle and average
DRIVE_KMH. Beyond that, or where no road leads, it is flown: FLIGHT_OVERHEAD_H for getting
to and from airports, check-in and waiting, plus the great-circle distance at FLIGHT_KMH,
plus BORDER_H when the trip crosses a border. A drivable trip longer than FLIGHT_FROM_KM is
flown when flying is faster (a 450 km drive of 8 h is not shown where a 4 h flight exists,
nor ranked behind a farther flight).
Options are ranked by hours times a fit factor: each way the practitioner fits worse than
asked (a requested technique or language missing, no SI-joint pattern work, vetting due)
adds MISFIT_WEIGHT; accepting international patients on a cross-border trip takes one off.
"""

from __future__ import annotations

from dataclasses import dataclass

DRIVE_LIMIT_KM = 500.0
FLIGHT_FROM_KM = 300.0  # shorter trips are driven even when the model's flight is faster
ROAD_FACTOR = 1.3
DRIVE_KMH = 70.0
FLIGHT_OVERHEAD_H = 3.0
FLIGHT_KMH = 750.0
BORDER_H = 1.0
MISFIT_WEIGHT = 0.15


@dataclass(frozen=True)
class Trip:
    """An estimated journey: 'drive' or 'flight', and hours door to door."""

    mode: str
    hours: float

    def as_json(self) -> dict:
        return {"mode": self.mode, "hours": round(self.hours, 1)}


def estimate_trip(distance_km: float, crosses_border: bool, by_land: bool = True) -> Trip:
    """The trip the model expects for a great-circle distance; by_land is False when no
    road leads there (another country without a land border)."""
    flight = Trip(
        "flight",
        FLIGHT_OVERHEAD_H + distance_km / FLIGHT_KMH + (BORDER_H if crosses_border else 0.0),
    )
    if distance_km > DRIVE_LIMIT_KM or not by_land:
        return flight
    drive = Trip("drive", distance_km * ROAD_FACTOR / DRIVE_KMH)
    if distance_km > FLIGHT_FROM_KM and flight.hours < drive.hours:
        return flight
    return drive


def rank_score(trip: Trip, misfits: int, international_welcome: bool) -> float:
    """Lower is better: hours scaled by how well the practitioner fits the request."""
    factor = 1 + MISFIT_WEIGHT * (misfits - (1 if international_welcome else 0))
    return trip.hours * max(factor, 0.5)
