#pragma once

#include <boost/asio/io_context.hpp>

#include "client/output_formatter.hpp"
#include "client/server_link.hpp"

namespace chat::client {

// The client on a terminal: a readline prompt for input, events printed
// above it, commands carried out as they are entered. Returns the session's
// end; runs `io` until then.
LinkEnd run_interactive(boost::asio::io_context& io, ServerLinkOptions options, FormatOptions format);

}  // namespace chat::client
