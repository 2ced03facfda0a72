#pragma once

#include <string_view>

namespace chat::client {

// Whether `text` names `name` as a word of its own, ignoring case: "hi Alice",
// "alice: look", "thanks, alice." do; "malice" and "alice_bot" do not. A name
// may contain '.', so "alice.b" is another name, but a '.' that ends the
// sentence ("ask alice.") still ends the word. An empty name is never named.
bool mentions(std::string_view text, std::string_view name) noexcept;

}  // namespace chat::client
