"""The only code that writes: each public function is one transaction and commits it."""
