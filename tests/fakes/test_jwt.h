// Test-only JWT minting: fresh RSA-2048 / EC P-256 key pairs and JWS compact
// tokens signed RS256 or ES256 (or "none", unsigned), for the auth tests.
//
// Stateless functions; thread-safe. Abort the test binary if OpenSSL fails.
#ifndef CASEBRIDGE_TESTS_FAKES_TEST_JWT_H_
#define CASEBRIDGE_TESTS_FAKES_TEST_JWT_H_

#include <string>

#include "nlohmann/json.hpp"

namespace casebridge::testing {

struct TestKeyPair {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
};

TestKeyPair NewRsaKeyPair();
TestKeyPair NewEcKeyPair();

// `alg` is "RS256", "ES256" or "none" (empty signature). The header is
// {"alg": alg, "typ": "JWT"}.
std::string MintJwt(const std::string& alg, const nlohmann::json& claims,
                    const std::string& private_pem);

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_FAKES_TEST_JWT_H_
