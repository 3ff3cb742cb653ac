"""Jobs, schedules, sensors and the Definitions of the VolatilityForge code location."""
