/**
 * A self-signed P-256 certificate for `hooks.test`, valid until 2126, made once with
 * `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500
 * -subj /CN=hooks.test -addext subjectAltName=DNS:hooks.test`. Test-only: it guards nothing.
 */
export const HOOKS_TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmDCCAT6gAwIBAgIUbPxrTbIZLJdolYzZEYrchVbxOsAwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKaG9va3MudGVzdDAgFw0yNjExMjYwNzUyMjFaGA8yMTI2MTEw
MjA3NTIyMVowFTETMBEGA1UEAwwKaG9va3MudGVzdDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABHhDKZk7s0yHtivEiASyyEloOe9g4gnPpnDO59iNNYSDb9ZYnFMW
HTXEAhvxQ0Y6rW4EqPPLgFZHztzh0AoHUmqjajBoMB0GA1UdDgQWBBTHmd5pDMan
Ru6tfl32Z5oBREP+kTAfBgNVHSMEGDAWgBTHmd5pDManRu6tfl32Z5oBREP+kTAP
BgNVHRMBAf8EBTADAQH/MBUGA1UdEQQOMAyCCmhvb2tzLnRlc3QwCgYIKoZIzj0E
AwIDSAAwRQIhAKUmo4O/7WA33UcsRt3SsJOjGIjrLoNGKXEA3sdNRi4BAiBYO2Zv
RBcdQC+avxfgstGq2Uu38b1gDG015xCJ0CQYyA==
-----END CERTIFICATE-----
`;

export const HOOKS_TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgnUFTo6WksU7dmis0
rvYBNkRPcFStDmC5yz4vk2xxJ6ChRANCAAR4QymZO7NMh7YrxIgEsshJaDnvYOIJ
z6ZwzufYjTWEg2/WWJxTFh01xAIb8UNGOq1uBKjzy4BWR87c4dAKB1Jq
-----END PRIVATE KEY-----
`;
