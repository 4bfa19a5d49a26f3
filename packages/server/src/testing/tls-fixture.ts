/**
 * A self-signed certificate for localhost and 127.0.0.1 (P-256, valid until 2126), made for
 * tests with `openssl req -x509`. Its key protects nothing: it is public in this repository.
 */
export const TEST_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUFLN1ArPAQoF02Ri2cEQPs3ef/BIwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyODA1NTc0N1oYDzIxMjYxMTA0
MDU1NzQ3WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATorbusJJCBVL5pskqJnDvWpyxk5BGRJTkSj4nuhdz8yw8oSguCuhbE
yjztgfehUJk7SeHK70LddIxv7MBxru3Do28wbTAdBgNVHQ4EFgQUCTRbh7vnkIUe
O+yzO2tw3S0Vsn4wHwYDVR0jBBgwFoAUCTRbh7vnkIUeO+yzO2tw3S0Vsn4wDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDRwAwRAIgDkYjXiCMheuP2Ao0q5nwFgoEfz/ArVmMbJDHW9Q/Jy8CICOZ
GDooqQozH4dn2Zd4m0ra5umTBHqxRUgMG7sT8+2A
-----END CERTIFICATE-----
`

export const TEST_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9gnABcWJEINTnrzk
4+WhIv1R84PsQyGuPGrpBNtsZa6hRANCAATorbusJJCBVL5pskqJnDvWpyxk5BGR
JTkSj4nuhdz8yw8oSguCuhbEyjztgfehUJk7SeHK70LddIxv7MBxru3D
-----END PRIVATE KEY-----
`
