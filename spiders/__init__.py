"""The monitor's spiders, one per source kind."""
