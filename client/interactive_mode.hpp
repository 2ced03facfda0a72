#pragma once

#include <boost/asio/io_context.hpp>

#include "client/buffer_view.hpp"
#include "client/output_formatter.hpp"
#include "client/server_link.hpp"

namespace chat::client {

// The client on a terminal: a readline prompt for input, the buffer shown
// printed above it (see BufferView), commands carried out as they are
// entered. Returns how the link ended; runs `io` until then.
LinkEnd run_interactive(boost::asio::io_context& io, ServerLinkOptions options, FormatOptions format,
                        BufferViewOptions view_options);

}  // namespace chat::client
