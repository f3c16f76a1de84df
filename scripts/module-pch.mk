# Read after NGINX's objs/Makefile (the Makefile's module rule runs `make -f objs/Makefile -f
# scripts/module-pch.mk` in the NGINX tree): the module's objects whose source includes
# <simdjson.h> (AIGW_PCH_SRCS, which scripts/includers finds) read it precompiled. It is 127,000
# lines once preprocessed, parsed again for each of those 38 objects: they took 165 to 220
# CPU-seconds of the module's 275 to 360, and take 112 to 128 with it precompiled (6 more to
# precompile it; three clean builds each, the machine loaded differently). The precompiled header
# is compiled by objs/Makefile's own command for the module's sources (its compiler, CFLAGS and
# include paths); what changes is the order in which the compiler meets the declarations, as
# when a source's includes are reordered: 31 of the 38 objects had the same instructions as
# without it, the other 7 a few different register choices. objs/Makefile run alone compiles
# every object as NGINX writes it.

AIGW_PCH_MK := $(lastword $(MAKEFILE_LIST))
AIGW_PCH    := objs/aigw_simdjson.h

# NGINX names an addon's object after its source's folder and file name.
AIGW_PCH_OBJS := $(foreach s,$(AIGW_PCH_SRCS),objs/addon/$(notdir $(patsubst %/,%,$(dir $(s))))/$(basename $(notdir $(s))).o)

$(AIGW_PCH):
	echo '#include <simdjson.h>' > $@

# The headers it read (-MD) are its prerequisites too: a new libsimdjson-dev makes it again.
$(AIGW_PCH).gch: $(AIGW_PCH) objs/Makefile $(AIGW_PCH_MK)
	$(CC) -c -fPIC $(CFLAGS) $(ALL_INCS) -MD -MT $@ -MF $@.d -x c++-header $(AIGW_PCH) -o $@

-include $(AIGW_PCH).gch.d

# private: the precompiled header itself, a prerequisite, is compiled without it.
$(AIGW_PCH_OBJS): $(AIGW_PCH).gch
$(AIGW_PCH_OBJS): private CFLAGS += -include $(AIGW_PCH)
