"""The flows (deploy, rollback, app/proxy operations) that walk a plan through an executor."""
