#pragma once
// Key pair material as Nova's nova/crypto.py makes and checks it, on OpenSSL:
// fingerprints (MD5 of the decoded SSH key blob; SHA1 of an X.509 certificate's DER, both
// as colon-separated lowercase hex) and generated keys (a 2048-bit RSA SSH key pair, or a
// self-signed client certificate with a PKCS#12 bundle for type x509).
#include <string>

namespace nova::api::handlers::crypto {

// Throws InvalidKeypair("failed to generate fingerprint") when `public_key` is not an
// OpenSSH public key ("<type> <base64 blob> [comment]") of a type Nova accepts (ssh-rsa,
// ssh-dss, ssh-ed25519, ecdsa-sha2-nistp256/384/521) whose blob is well formed.
std::string SshFingerprint(const std::string& public_key);
// Throws InvalidKeypair("failed to generate X509 fingerprint. Error message: ...").
std::string X509Fingerprint(const std::string& pem);

struct GeneratedKey {
    std::string private_key;  // PEM (ssh), or base64 of a PKCS#12 bundle (x509)
    std::string public_key;   // "ssh-rsa AAAA... Generated-by-Nova", or the certificate PEM
    std::string fingerprint;
};
GeneratedKey GenerateSshKeyPair(int bits = 2048);
// Nova's generate_winrm_x509_cert: CN=<user_id>, client-auth EKU, UPN <user_id>@localhost,
// valid 3650 days.
GeneratedKey GenerateX509Cert(const std::string& user_id, int bits = 2048);

}  // namespace nova::api::handlers::crypto
