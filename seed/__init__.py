"""The seed dataset: the Ganzhou cluster as the five source documents describe it."""
