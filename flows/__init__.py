"""Dialog logic: the parent's flows, the staff services and the reply model."""
