"""A credit-card-like transactions table with injected anomalies, the same for a given seed.

Columns: time (seconds over two days), amount, merchant_category (an MCC code), v1..v6
(PCA-like: standardised, uncorrelated, as in the public credit-card fraud set) and
is_injected (1 for the injected anomalies; never shown to the detectors, used to score them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# MCC codes with how often normal transactions use them; 7995 (betting) is reserved for anomalies.
CATEGORIES = {"5411": 0.30, "5541": 0.15, "5812": 0.20, "5999": 0.15, "4111": 0.10, "5732": 0.10}
RARE_CATEGORY = "7995"
N_COMPONENTS = 6


def make_transactions(n: int = 3000, anomaly_share: float = 0.02, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_anomalies = round(n * anomaly_share)
    n_normal = n - n_anomalies

    # Daytime-heavy activity: hour of day from a mixture peaking at noon and 19:00.
    hours = np.where(rng.random(n_normal) < 0.6, rng.normal(12.5, 2.5, n_normal), rng.normal(19, 1.5, n_normal))
    day = rng.integers(0, 2, n_normal)
    normal = pd.DataFrame({
        "time": np.round((day * 24 + np.clip(hours, 6, 23.9)) * 3600),
        "amount": np.round(rng.lognormal(mean=3.2, sigma=0.8, size=n_normal), 2),
        "merchant_category": rng.choice(list(CATEGORIES), size=n_normal, p=list(CATEGORIES.values())),
    })  # fmt: skip
    components = rng.normal(0.0, 1.0, (n_normal, N_COMPONENTS))

    # Anomalies: larger amounts, mostly in the small hours, often at a rare merchant, and off the usual
    # pattern in a few components; mild enough that detectors disagree.
    small_hours = rng.random(n_anomalies) < 0.6
    hours_a = np.where(small_hours, rng.uniform(1, 5, n_anomalies), rng.uniform(8, 22, n_anomalies))
    anomalous = pd.DataFrame({
        "time": np.round((rng.integers(0, 2, n_anomalies) * 24 + hours_a) * 3600),
        "amount": np.round(rng.lognormal(mean=4.6, sigma=0.9, size=n_anomalies), 2),
        "merchant_category": np.where(rng.random(n_anomalies) < 0.5, RARE_CATEGORY,
                                      rng.choice(list(CATEGORIES), size=n_anomalies)),
    })  # fmt: skip
    shifted = rng.random((n_anomalies, N_COMPONENTS)) < 0.4
    shift = shifted * rng.choice([-1.0, 1.0], size=(n_anomalies, N_COMPONENTS)) * rng.uniform(2, 3.5, shifted.shape)
    anomalous_components = rng.normal(0.0, 1.0, (n_anomalies, N_COMPONENTS)) + shift

    frame = pd.concat([normal, anomalous], ignore_index=True)
    comps = np.vstack([components, anomalous_components])
    for i in range(N_COMPONENTS):
        frame[f"v{i + 1}"] = np.round(comps[:, i], 6)
    frame["is_injected"] = np.r_[np.zeros(n_normal, dtype=int), np.ones(n_anomalies, dtype=int)]
    # Shuffle with the same generator so the anomalies are not all at the end.
    order = rng.permutation(n)
    frame = frame.iloc[order].sort_values("time", kind="stable").reset_index(drop=True)
    frame.insert(0, "transaction_id", np.arange(1, n + 1))
    return frame


if __name__ == "__main__":
    df = make_transactions()
    print(df.head())
    print(f"{len(df)} transactions, {int(df.is_injected.sum())} injected anomalies")
