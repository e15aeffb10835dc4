"""Alert delivery to the channels traders use (Telegram, e-mail, Discord/Slack, ntfy, a generic webhook) through
Apprise URLs in `.env`. `channels` reads and masks the settings; `delivery` sends from one thread per channel so a
slow or dead channel never delays collection or another channel. Apprise is imported only when something is sent.
"""
