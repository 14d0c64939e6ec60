-- Builds one Ardour session for the host soak (tests/soak.py) and the
-- export test (tests/test_ardour_export.py), with what a soak varies from
-- one cycle to the next.
-- Run headless:
--   ardour7-lua soak_session.lua DIR NAME URI BARS BPM BEATS_PER_BAR NOTE_VALUE
--                                INSTANCES PRESET_URI|- SEED [ENSEMBLE]
--
-- The session: 48 kHz on the Dummy backend, the tempo and meter given,
-- INSTANCES MIDI tracks each with the plugin as its instrument (the first
-- with PRESET_URI loaded, unless "-"; each with its own seed when the plugin
-- is Pianola; the last, when there are two or more, composing for ENSEMBLE,
-- the Ensemble control's value, 0 solo piano by default), outputs connected
-- to the master bus, and a session range of BARS bars. Prints
-- "session-ready ..." on success, "session-failed: why" otherwise.
--
-- Ardour 7.3 quirks handled here:
--  * the engine needs a moment after the session is created before a track
--    can be added, or adding it may fail with "Port already exists";
--  * Session:set_session_extents is not bound to Lua, and a new empty session
--    has no session range, so the range is added as a range marker and turned
--    into the session range in the saved file (ardour7-export exports exactly
--    the session range).

local session_dir, session_name, plugin_uri = arg[1], arg[2], arg[3]
local bars, bpm = tonumber(arg[4]), tonumber(arg[5])
local beats_per_bar, note_value = tonumber(arg[6]), tonumber(arg[7])
local instances, preset_uri, seed = tonumber(arg[8]), arg[9], tonumber(arg[10])
local ensemble = tonumber(arg[11] or "0")
if not (session_dir and session_name and plugin_uri and bars and bpm and beats_per_bar
        and note_value and instances and preset_uri and seed and ensemble) then
  print("usage: ardour7-lua soak_session.lua DIR NAME URI BARS BPM BEATS_PER_BAR NOTE_VALUE "
        .. "INSTANCES PRESET_URI|- SEED [ENSEMBLE]")
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
sleep(2)

-- The tempo and meter at the session start: Pianola reads them from the
-- host's time:Position, so every bar length the host can send gets soaked.
local origin = Temporal.timepos_t(0)
local tempo_map = Temporal.TempoMap.write_copy()
tempo_map:set_tempo(Temporal.Tempo(bpm, bpm, note_value), origin)
tempo_map:set_meter(Temporal.Meter(beats_per_bar, note_value), origin)
Temporal.TempoMap.update(tempo_map)

local plugin_info = ARDOUR.LuaAPI.new_plugin_info(plugin_uri, ARDOUR.PluginType.LV2)
if plugin_info:isnil() then
  fail("Ardour finds no LV2 plugin " .. plugin_uri .. " (is LV2_PATH set?)")
end

local function add_instrument_tracks()
  return Session:new_midi_track(
    ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1),
    ARDOUR.ChanCount(ARDOUR.DataType("audio"), 2),
    true, plugin_info, nil, nil, instances, "Instrument",
    ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true, false)
end

local ok, tracks = pcall(add_instrument_tracks)
if not ok or tracks:size() ~= instances then
  print("retrying the tracks: " .. tostring(tracks))
  sleep(2)
  ok, tracks = pcall(add_instrument_tracks)
end
if not ok or tracks:size() ~= instances then
  fail("could not add " .. instances .. " MIDI tracks: " .. tostring(tracks))
end

-- A control found by its label. set_plugin_insert_param counts control
-- inputs only; nth_parameter gives the port each one is.
local function set_parameter(insert, label, value)
  local plugin = insert:plugin(0)
  for control = 0, plugin:parameter_count() - 1 do
    local port = plugin:nth_parameter(control, false)
    if plugin:parameter_label(port) == label then
      return ARDOUR.LuaAPI.set_plugin_insert_param(insert, control, value)
    end
  end
  return false
end

local master_in = Session:master_out():input()
local number = 0
for track in tracks:iter() do
  local processor = track:nth_plugin(0)
  if processor:isnil() then
    fail("a MIDI track has no instrument")
  end
  local insert = processor:to_insert()
  if number == 0 and preset_uri ~= "-" then
    local preset = insert:plugin(0):preset_by_uri(preset_uri)
    if not preset or not insert:plugin(0):load_preset(preset) then
      fail("could not load the preset " .. preset_uri)
    end
  end
  local pianola = plugin_uri == "urn:pianola:pianola" or plugin_uri == "urn:pianola:pianola-parts"
  if pianola and (number > 0 or preset_uri == "-") then
    if not set_parameter(insert, "Seed", seed + number) then
      fail("found no Seed parameter to set")
    end
  end
  if ensemble ~= 0 and instances > 1 and number == instances - 1 then
    if not set_parameter(insert, "Ensemble", ensemble) then
      fail("found no Ensemble parameter to set")
    end
  end
  number = number + 1

  -- Connected here and waited for: a session saved before Ardour's own
  -- thread connects them exports silence.
  local outputs = track:output()
  for channel = 0, 1 do
    local master_port = master_in:audio(channel)
    if not outputs:audio(channel):connected_to(master_port:name()) then
      outputs:audio(channel):connect(master_port:name())
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
    fail("a track's outputs are not connected to the master bus")
  end
end

local beats_per_minute = Temporal.TempoMap.read():tempo_at(origin):note_types_per_minute()
local range_samples = math.floor(bars * beats_per_bar * 60 / beats_per_minute * sample_rate
                                 + 0.5)
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

print(string.format("session-ready %d samples, %.3f bpm, %d/%d, %d instances",
                    range_samples, beats_per_minute, beats_per_bar, note_value, instances))
