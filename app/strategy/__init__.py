"""The municipal strategy workspace: worksheets drafted together without lost edits."""
