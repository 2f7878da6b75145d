"""What operators watch: request ids in every log line, Prometheus metrics."""
