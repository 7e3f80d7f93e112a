"""HTTP plumbing around the API: request ids, body limits, health."""
