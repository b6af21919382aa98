"""Browser sign-in: sessions held in a cookie and one-time sign-in links staff issue."""
