"""The distributions that make up the agent runtime (transcripts record their versions).

A module of its own so that recording a tools-only review does not import that runtime.
"""

RUNTIME_PACKAGES = ("autogen-agentchat", "autogen-core", "autogen-ext", "openai")
