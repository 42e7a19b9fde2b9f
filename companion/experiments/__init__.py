"""Experiments behind the chapters: each function runs one measured result that a chapter prints and a test asserts."""
