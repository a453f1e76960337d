#include "keypair_crypto.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "nova/common/error.hpp"

namespace nova::api::handlers::crypto {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12, PKCS12_free>>;

std::string ColonHex(const unsigned char* data, std::size_t n) {
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ':';
        out += kHex[data[i] >> 4];
        out += kHex[data[i] & 15];
    }
    return out;
}

// Strict base64 (Python's b64decode without validate also skips non-alphabet characters;
// a key blob never has any, and cryptography refuses them before Nova decodes).
std::optional<std::string> Base64Decode(const std::string& text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::string out(text.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    std::size_t pad = 0;
    if (text.back() == '=') ++pad;
    if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

std::string Base64Encode(const std::string& data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// The SSH wire format (RFC 4251): uint32 length-prefixed strings and mpints.
class Reader {
public:
    explicit Reader(const std::string& data) : data_(data) {}
    std::optional<std::string> String() {
        if (data_.size() - pos_ < 4) return std::nullopt;
        std::uint32_t n = 0;
        for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(data_[pos_ + static_cast<std::size_t>(i)]);
        pos_ += 4;
        if (data_.size() - pos_ < n) return std::nullopt;
        auto s = data_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    bool Done() const { return pos_ == data_.size(); }

private:
    const std::string& data_;
    std::size_t pos_ = 0;
};

bool PositiveMpint(const std::optional<std::string>& m) {
    if (!m || m->empty()) return false;
    return (static_cast<unsigned char>((*m)[0]) & 0x80) == 0;
}

bool WellFormedBlob(const std::string& type, const std::string& blob) {
    Reader r(blob);
    auto inner = r.String();
    if (!inner || *inner != type) return false;
    if (type == "ssh-rsa") {
        auto e = r.String();
        auto n = r.String();
        if (!PositiveMpint(e) || !PositiveMpint(n)) return false;
    } else if (type == "ssh-dss") {
        for (int i = 0; i < 4; ++i) {
            if (!PositiveMpint(r.String())) return false;
        }
    } else if (type == "ssh-ed25519") {
        auto k = r.String();
        if (!k || k->size() != 32) return false;
    } else {  // ecdsa-sha2-<curve>
        auto curve = r.String();
        auto point = r.String();
        if (!curve || *curve != type.substr(std::string("ecdsa-sha2-").size()) || !point || point->empty() ||
            (*point)[0] != 0x04) {
            return false;
        }
    }
    return r.Done();
}

[[noreturn]] void FingerprintFailed() {
    throw InvalidKeypair({{"reason", "failed to generate fingerprint"}});
}

std::string Mpint(const BIGNUM* bn) {
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    if (!bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80)) bytes.insert(bytes.begin(), '\0');
    return bytes;
}

std::string SshString(const std::string& s) {
    std::string out;
    auto n = static_cast<std::uint32_t>(s.size());
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
    return out + s;
}

std::string BioText(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

[[noreturn]] void OpenSslFailed(const char* what) {
    unsigned long code = ERR_get_error();
    char buf[256] = {};
    ERR_error_string_n(code, buf, sizeof buf);
    throw std::runtime_error(std::string(what) + ": " + buf);
}

PkeyPtr NewRsaKey(int bits) {
    PkeyPtr key(EVP_RSA_gen(static_cast<unsigned>(bits)));
    if (!key) OpenSslFailed("RSA key generation failed");
    return key;
}

}  // namespace

std::string SshFingerprint(const std::string& public_key) {
    // cryptography's load_ssh_public_key: "<type> <base64>[ <comment>]".
    auto first = public_key.find(' ');
    if (first == std::string::npos) FingerprintFailed();
    std::string type = public_key.substr(0, first);
    auto rest = public_key.substr(first + 1);
    auto second = rest.find(' ');
    std::string b64 = rest.substr(0, second);
    static const char* kTypes[] = {"ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256",
                                   "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"};
    bool known = false;
    for (const char* t : kTypes) known = known || type == t;
    if (!known) FingerprintFailed();
    auto blob = Base64Decode(b64);
    if (!blob || !WellFormedBlob(type, *blob)) FingerprintFailed();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(blob->data(), blob->size(), md, &n, EVP_md5(), nullptr)) FingerprintFailed();
    return ColonHex(md, n);
}

std::string X509Fingerprint(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        ERR_clear_error();
        throw InvalidKeypair({{"reason", "failed to generate X509 fingerprint. Error message: Unable to load PEM file. "
                                         "See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file "
                                         "for more details."}});
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(cert.get(), EVP_sha1(), md, &n);
    return ColonHex(md, n);
}

GeneratedKey GenerateSshKeyPair(int bits) {
    auto key = NewRsaKey(bits);
    BIGNUM* n_raw = nullptr;
    BIGNUM* e_raw = nullptr;
    if (!EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n_raw) ||
        !EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &e_raw)) {
        OpenSslFailed("reading the RSA key");
    }
    BnPtr n(n_raw), e(e_raw);
    std::string blob = SshString("ssh-rsa") + SshString(Mpint(e.get())) + SshString(Mpint(n.get()));

    // paramiko's write_private_key: the traditional PKCS#1 PEM ("BEGIN RSA PRIVATE KEY").
    BioPtr out(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey_traditional(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
        OpenSslFailed("writing the private key");
    }
    GeneratedKey result;
    result.private_key = BioText(out.get());
    result.public_key = "ssh-rsa " + Base64Encode(blob) + " Generated-by-Nova";
    result.fingerprint = SshFingerprint(result.public_key);
    return result;
}

GeneratedKey GenerateX509Cert(const std::string& user_id, int bits) {
    auto key = NewRsaKey(bits);
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    BnPtr serial(BN_new());
    BN_rand(serial.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
    BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3650L * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(user_id.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    std::string san = "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:" + user_id + "@localhost";
    for (auto [nid, value] : {std::pair<int, std::string>{NID_ext_key_usage, "clientAuth"},
                              std::pair<int, std::string>{NID_subject_alt_name, san}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        if (!ext) OpenSslFailed("building a certificate extension");
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (!X509_sign(cert.get(), key.get(), EVP_sha256())) OpenSslFailed("signing the certificate");

    BioPtr pem(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(pem.get(), cert.get());
    Pkcs12Ptr p12(PKCS12_create("", nullptr, key.get(), cert.get(), nullptr, 0, 0, 0, 0, 0));
    if (!p12) OpenSslFailed("building the PKCS#12 bundle");
    BioPtr der(BIO_new(BIO_s_mem()));
    i2d_PKCS12_bio(der.get(), p12.get());

    GeneratedKey result;
    result.public_key = BioText(pem.get());
    result.private_key = Base64Encode(BioText(der.get()));
    result.fingerprint = X509Fingerprint(result.public_key);
    return result;
}

}  // namespace nova::api::handlers::crypto
