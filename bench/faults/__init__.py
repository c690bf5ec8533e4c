"""The fault suite: a workload under kills, flushes, restarts and a misbehaving network."""
