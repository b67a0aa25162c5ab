"""The channels behind one interface (`base.Sender`): email by SMTP, Zalo ZNS, SMS."""
