"""Media: ingesting uploads (sniffing, limits, WebM/MP4 probing), fitting photos to a
network's limits, poster frames, alt text lines, and the unused-media cleanup."""
