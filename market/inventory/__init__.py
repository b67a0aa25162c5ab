"""Stock: the only context that changes quantities, always by conditional updates."""
