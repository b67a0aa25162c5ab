"""People who sign in: buyers, seller members. One account may be both."""
