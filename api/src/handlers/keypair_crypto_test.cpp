#include "keypair_crypto.hpp"

#include <doctest/doctest.h>

#include "nova/common/error.hpp"

using namespace nova::api::handlers::crypto;

namespace {
// Made with ssh-keygen / openssl; the expected fingerprints are theirs
// (ssh-keygen -l -E md5, openssl x509 -fingerprint -sha1, lowercased).
const char* kRsa =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCyT4G1PpPh1WPUmWQZCEsTjjlOC+F3WqL9A///EbO9VzRpa+2zlIRgMa+hl7/pnvTZuv/"
    "psqxQcLGDvpLRqvGF5bTQ4So/DiBBs9g/ekHmohtUpf9PyWXxr8oY5M3h5y2zdeiXy6qOSFXJxAKEJpX6ABCff//JTSgZrtruuZ0t9w== test@nova";
const char* kEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHoxW4CJKy/wttO4mC9ugFYyQMKIvtVT21pZ2eFdr1DJ ed";
const char* kCert = R"(-----BEGIN CERTIFICATE-----
MIIB+jCCAWOgAwIBAgIUBPQAsLMOKJnVwIITl+WNPfuSEh4wDQYJKoZIhvcNAQEL
BQAwDzENMAsGA1UEAwwEdGVzdDAeFw0yNjExMjkyMTQ3MjJaFw0yNjExMzAyMTQ3
MjJaMA8xDTALBgNVBAMMBHRlc3QwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGB
AOZ5zUs5z2fVqVW6NTyLBqZvDlot8KBOkC9PMc03x6ErnZXxta4YTxl9QhIs0Yht
Nn34WaegfIzg4CVLQU93nNlaqidsC46JveXWliwl1pt9tTRV14MStlBIVPZO/hKC
SdKPkR1A3xqcyqOWDnmIqO3xNLT9ziMc98gHiraRIBvNAgMBAAGjUzBRMB0GA1Ud
DgQWBBRA1zvbQOUXYAVT0atnrx5MMb51ujAfBgNVHSMEGDAWgBRA1zvbQOUXYAVT
0atnrx5MMb51ujAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4GBAIGf
wFIaNJZsJrvPBXouKYET+0jLdwSfCaCM77gMAPeiBSf8VG5+OnrFHWifkH5gNP4w
FuWlnPaGnSujVBaMliYYuKUgpS5TqGARwPFCvsCCS8YqmW4Ao3alfTzjuBRzTD+A
PoDty9+VxlV+uqySfOJ8/gwA5EBZbq3bmgBZzuQU
-----END CERTIFICATE-----
)";
}  // namespace

TEST_CASE("key pair fingerprints are Nova's: MD5 of the SSH blob, SHA1 of the certificate") {
    CHECK(SshFingerprint(kRsa) == "01:d6:b4:eb:d1:39:b3:87:d0:29:c9:af:5e:8b:2e:e9");
    CHECK(SshFingerprint(kEd25519) == "a8:ee:76:c4:40:bc:eb:ed:60:38:b0:63:8f:c2:b7:28");
    // No comment is fine too.
    CHECK(SshFingerprint("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHoxW4CJKy/wttO4mC9ugFYyQMKIvtVT21pZ2eFdr1DJ") ==
          "a8:ee:76:c4:40:bc:eb:ed:60:38:b0:63:8f:c2:b7:28");
    CHECK(X509Fingerprint(kCert) == "78:47:2d:e3:45:68:9c:dc:bb:3b:29:2a:db:1f:61:eb:53:4b:18:3a");
}

TEST_CASE("malformed public keys are InvalidKeypair with Nova's reason") {
    for (const char* bad : {"", "ssh-rsa", "not a key", "ssh-rsa !!!notbase64", "ssh-foo AAAAC3NzaC1lZDI1NTE5AAAAIHoxW4CJKy/wttO4mC9ugFYyQMKIvtVT21pZ2eFdr1DJ",
                            // an ed25519 blob announced as RSA, and a truncated blob
                            "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIHoxW4CJKy/wttO4mC9ugFYyQMKIvtVT21pZ2eFdr1DJ",
                            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHoxW4CJKy/wttO4mC9ugFYyQMKIvtVT21pZ2eFd"}) {
        CAPTURE(bad);
        try {
            SshFingerprint(bad);
            FAIL("accepted");
        } catch (const nova::InvalidKeypair& e) {
            CHECK(std::string(e.what()) == "Keypair data is invalid: failed to generate fingerprint");
        }
    }
    CHECK_THROWS_AS(X509Fingerprint("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), nova::InvalidKeypair);
}

TEST_CASE("generated SSH keys: an RSA PEM private key and a matching OpenSSH public key") {
    auto key = GenerateSshKeyPair(1024);
    CHECK(key.private_key.rfind("-----BEGIN RSA PRIVATE KEY-----\n", 0) == 0);
    CHECK(key.public_key.rfind("ssh-rsa AAAAB3NzaC1yc2E", 0) == 0);
    CHECK(key.public_key.size() > std::string(" Generated-by-Nova").size());
    CHECK(key.public_key.substr(key.public_key.size() - 18) == " Generated-by-Nova");
    CHECK(key.fingerprint == SshFingerprint(key.public_key));
    CHECK(key.fingerprint.size() == 47);
    CHECK(GenerateSshKeyPair(1024).public_key != key.public_key);
}

TEST_CASE("generated x509 key pairs: a self-signed certificate and its PKCS#12 bundle") {
    auto key = GenerateX509Cert("alice", 1024);
    CHECK(key.public_key.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
    CHECK(key.fingerprint == X509Fingerprint(key.public_key));
    CHECK(key.fingerprint.size() == 59);
    CHECK(key.private_key.find('\n') == std::string::npos);  // base64 in one line
    CHECK(key.private_key.size() > 1000);
}
