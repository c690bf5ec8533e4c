"""Prometheus metrics: publish outcomes, lateness, queue depth (read at scrape time)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

OUTCOMES = Counter(
    "outpost_publish_outcomes_total",
    "Publish attempts by network and outcome",
    ["platform", "outcome"],
)
LATENESS = Histogram(
    "outpost_publish_lateness_seconds",
    "Time from a destination's due time to its publish attempt",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
QUEUE_DUE = Gauge("outpost_queue_due_jobs", "Jobs in Redis that are due now")
QUEUE_DEFERRED = Gauge("outpost_queue_deferred_jobs", "Jobs in Redis deferred to later")
OPEN_DESTINATIONS = Gauge(
    "outpost_open_destinations", "Destinations pending, publishing or unknown in Postgres"
)
INTEGRATION_OUTDATED = Counter(
    "outpost_integration_outdated_total",
    "Publishes a network refused because Outpost uses a retired API version or call",
    ["network"],
)
RECONCILED = Counter("outpost_reconciled_total", "Work the reconciler found and fixed", ["kind"])
ERRORS = Counter(
    "outpost_publish_errors_total",
    "Publish jobs that hit an unexpected error in Outpost's own code",
    ["network"],
)

# Knowing before a post fails (scheduler/health): set when /healthz or /metrics is read and
# by the web process's stall alarm.
LIVE_WORKERS = Gauge("outpost_live_workers", "Workers whose heartbeat was seen lately")
DUE_NOT_STARTED = Gauge(
    "outpost_due_not_started", "Destinations whose time has come that no worker has started"
)
OLDEST_DUE_LATENESS = Gauge(
    "outpost_oldest_due_lateness_seconds", "How late the oldest due, not started destination is"
)
STALL_INCIDENTS = Counter(
    "outpost_stall_incidents_total", "Times due posts went unpublished past STALL_ALERT_SECONDS"
)
ACCOUNT_CHECKS = Counter(
    "outpost_account_checks_total",
    "Account health checks by network and verdict",
    ["platform", "status"],
)
# With ``outpost web --processes N`` each scrape is answered by one of the N processes, each
# with its own counters: the pid says which one answered.
PROCESS = Info("outpost_process", "The process that answered this scrape")
