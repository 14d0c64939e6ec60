-- Builds a minimal Ardour session around one LV2 instrument, for the
-- real-host test (tests/test_ardour_export.py), which then exports it with
-- ardour7-export. Run headless: ardour7-lua make_session.lua DIR NAME URI BARS
--
-- The session: 48 kHz, the Dummy backend ardour7-lua picks by itself, one MIDI
-- track whose instrument is the plugin, and a session range of BARS bars at
-- the session's tempo and meter. Prints "session-ready SAMPLES" on success.
--
-- Ardour 7.3 quirks handled here:
--  * the engine needs a moment after the session is created before a track
--    can be added, or adding it may fail with "Port already exists";
--  * Session:set_session_extents is not bound to Lua, and a new empty session
--    has no session range, so the range is added as a range marker and turned
--    into the session range in the saved file (ardour7-export exports exactly
--    the session range).

local session_dir, session_name, plugin_uri, bars = arg[1], arg[2], arg[3], tonumber(arg[4])
if not (session_dir and session_name and plugin_uri and bars) then
  print("usage: ardour7-lua make_session.lua DIR NAME URI BARS")
  os.exit(2)
end

local sample_rate = 48000

local function fail(message)
  print("session-failed: " .. message)
  os.exit(1)
end

if not create_session(session_dir, session_name, sample_rate) then
  fail("could not create the session in " .. session_dir)
end
sleep(2) -- let the engine settle (see the quirks above)

local plugin_info = ARDOUR.LuaAPI.new_plugin_info(plugin_uri, ARDOUR.PluginType.LV2)
if plugin_info:isnil() then
  fail("Ardour finds no LV2 plugin " .. plugin_uri .. " (is LV2_PATH set?)")
end

local function add_instrument_track()
  return Session:new_midi_track(
    ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1),
    ARDOUR.ChanCount(ARDOUR.DataType("audio"), 2),
    true, plugin_info, nil, nil, 1, "Instrument",
    ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true, false)
end

local ok, tracks = pcall(add_instrument_track)
if not ok or tracks:size() ~= 1 then
  print("retrying the track: " .. tostring(tracks))
  sleep(2)
  ok, tracks = pcall(add_instrument_track)
end
if not ok or tracks:size() ~= 1 then
  fail("could not add the MIDI track: " .. tostring(tracks))
end

local instrument_found = false
for track in tracks:iter() do
  local plugin = track:nth_plugin(0)
  instrument_found = not plugin:isnil()
end
if not instrument_found then
  fail("the MIDI track has no instrument")
end

-- Ardour connects a new track's outputs to the master bus from another
-- thread; a session saved before that happens exports silence. Connect them
-- here, and wait until the connections are there.
local master_in = Session:master_out():input()
for track in tracks:iter() do
  local outputs = track:output()
  for channel = 0, 1 do
    local port = outputs:audio(channel)
    local master_port = master_in:audio(channel)
    if not port:connected_to(master_port:name()) then
      port:connect(master_port:name())
    end
  end
  local connected = false
  for _ = 1, 50 do
    connected = outputs:audio(0):connected_to(master_in:audio(0):name())
        and outputs:audio(1):connected_to(master_in:audio(1):name())
    if connected then break end
    sleep(0.1)
  end
  if not connected then
    fail("the track's outputs are not connected to the master bus")
  end
end

local tempo_map = Temporal.TempoMap.read()
local origin = Temporal.timepos_t(0)
local beats_per_minute = tempo_map:tempo_at(origin):note_types_per_minute()
local beats_per_bar = tempo_map:meter_at(origin):divisions_per_bar()
local range_samples = math.floor(bars * beats_per_bar * 60 / beats_per_minute * sample_rate + 0.5)
Session:locations():add_range(origin, Temporal.timepos_t(range_samples))

Session:save_state("", false, false, false, false, false)

local state_path = ARDOUR.LuaAPI.build_filename(session_dir, session_name .. ".ardour")
local file = io.open(state_path, "r")
if not file then
  fail("the session was not saved to " .. state_path)
end
local state = file:read("a")
file:close()
local patched, count = state:gsub('(<Location [^>]-)name="range1"([^>]-)flags="IsRangeMarker"',
                                  '%1name="session"%2flags="IsSessionRange"')
if count ~= 1 then
  fail("found no range marker to turn into the session range in " .. state_path)
end
file = io.open(state_path, "w")
file:write(patched)
file:close()

print(string.format("session-ready %d samples, %.3f bpm, %d beats per bar",
                    range_samples, beats_per_minute, beats_per_bar))
