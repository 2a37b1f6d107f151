"""The SMS backend interface lives in accounts.sms (phone codes are sent from there, and accounts
never imports disputes); the names stay importable here for SMS_BACKEND paths and older callers."""

from accounts.sms import ConsoleSmsBackend, HttpGatewaySmsBackend, SmsBackend, send_sms

__all__ = ["ConsoleSmsBackend", "HttpGatewaySmsBackend", "SmsBackend", "send_sms"]
