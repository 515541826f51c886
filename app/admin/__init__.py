"""Administration: municipalities, people, invitations and reset links."""
