"""A municipality's team: its members and the invitations its coordinators send."""
