#include "loadtest/member.hpp"

#include "loadtest/member_session.hpp"
#include "loadtest/redis_member.hpp"

namespace chat::loadtest {

std::unique_ptr<Member> make_member(RunContext& context, Member::Listener& listener) {
  if (context.protocol == Protocol::Redis) return std::make_unique<RedisMember>(context, listener);
  return std::make_unique<MemberSession>(context, listener);
}

}  // namespace chat::loadtest
