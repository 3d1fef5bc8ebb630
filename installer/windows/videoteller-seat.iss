; Inno Setup 6 script: the VideoTeller seat workstation (视频银行坐席工作台) for Windows 10/11 x64.
;
; NOT BUILT OR TESTED ON THIS PROJECT'S (LINUX) MACHINES: build it on a Windows build machine, see docs/installer.md.
; Input: the PyInstaller one-folder bundle dist\videoteller-seat\ (built on Windows from installer\videoteller-seat.spec).
;
; Compile:  iscc /DAppVersion=0.1.0 installer\windows\videoteller-seat.iss
; Silent install with the seat's settings (IT roll-out, e.g. from SCCM/Intune; runs as administrator):
;   videoteller-seat-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /LOG="C:\Windows\Temp\vt-seat.log"
;       /SERVER=https://vt.bank.example /SEATID=1001 /CACERT="C:\certs\bank-root.pem" /CAMERA=0 /MICROPHONE=auto
; The values are written machine-wide (C:\ProgramData\VideoTeller\VideoTeller\seat.json, the CA copied beside it) by
; "videoteller-seat.exe --configure --system ..."; each teller's first start copies them into their own settings.
; An interactive install asks for the same values on a wizard page (all optional: a seat can be configured later).
; Saved as UTF-8 with a byte-order mark: Inno Setup reads scripts without one in the system ANSI code page.
; Silent uninstall: "C:\Program Files\VideoTeller Seat\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\videoteller-seat"
#endif
#define AppExe "videoteller-seat.exe"

[Setup]
AppId={{6F1C2B1E-7B8E-4C55-9E0C-5A7D0E2B9C41}
AppName=VideoTeller Seat
AppVerName=VideoTeller Seat {#AppVersion}
AppVersion={#AppVersion}
AppPublisher=VideoTeller
DefaultDirName={autopf}\VideoTeller Seat
DefaultGroupName=VideoTeller
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=videoteller-seat-{#AppVersion}-setup
SetupIconFile=videoteller-seat.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ShowLanguageDialog=no

[Languages]
; ChineseSimplified is an unofficial Inno translation: put ChineseSimplified.isl into Inno's Languages folder
; (https://jrsoftware.org/files/istrans/) or remove this line to build with English only.
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\VideoTeller 坐席工作台"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\VideoTeller 坐席工作台"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Run]
; the seat settings are written in CurStepChanged below (so that a refused value is reported, not ignored)
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,VideoTeller 坐席工作台}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; the machine-wide settings written by --configure --system (teller's own settings and logs stay in their profile)
Type: files; Name: "{commonappdata}\VideoTeller\VideoTeller\seat.json"
Type: files; Name: "{commonappdata}\VideoTeller\VideoTeller\bank-ca.pem"
Type: dirifempty; Name: "{commonappdata}\VideoTeller\VideoTeller"
Type: dirifempty; Name: "{commonappdata}\VideoTeller"

[Code]
var
  SeatPage: TInputQueryWizardPage;
  CaPage: TInputFileWizardPage;

procedure InitializeWizard;
begin
  SeatPage := CreateInputQueryPage(wpSelectTasks, '坐席配置', '服务器与工号(可稍后用 --configure 设置)',
    '请输入视频银行服务器地址、本机坐席工号和摄像头(auto 或设备序号)。');
  SeatPage.Add('服务器地址(https://…):', False);
  SeatPage.Add('坐席工号:', False);
  SeatPage.Add('摄像头(auto / 0 / 1 …):', False);
  SeatPage.Values[0] := ExpandConstant('{param:SERVER|}');
  SeatPage.Values[1] := ExpandConstant('{param:SEATID|}');
  SeatPage.Values[2] := ExpandConstant('{param:CAMERA|auto}');
  CaPage := CreateInputFilePage(SeatPage.ID, '银行 CA 证书', '服务器 TLS 证书链的根证书(PEM)',
    '选择银行内部 CA 证书文件;留空则使用系统证书库。');
  CaPage.Add('CA 证书:', 'PEM 证书 (*.pem;*.crt)|*.pem;*.crt|所有文件|*.*', '.pem');
  CaPage.Values[0] := ExpandConstant('{param:CACERT|}');
end;

function Quote(const S: String): String;
begin
  Result := '"' + S + '"';
end;

function SettingValue(const Param: String; const PageValue: String): String;
begin
  Result := ExpandConstant('{param:' + Param + '|}');
  if Result = '' then
    Result := Trim(PageValue);
end;

function ConfigureParams(Param: String): String;
var
  S: String;
begin
  S := '--configure --system';
  if SettingValue('SERVER', SeatPage.Values[0]) <> '' then
    S := S + ' --server ' + Quote(SettingValue('SERVER', SeatPage.Values[0]));
  if SettingValue('SEATID', SeatPage.Values[1]) <> '' then
    S := S + ' --seat-id ' + Quote(SettingValue('SEATID', SeatPage.Values[1]));
  if SettingValue('CAMERA', SeatPage.Values[2]) <> '' then
    S := S + ' --camera ' + Quote(SettingValue('CAMERA', SeatPage.Values[2]));
  if SettingValue('CACERT', CaPage.Values[0]) <> '' then
    S := S + ' --ca-cert ' + Quote(SettingValue('CACERT', CaPage.Values[0]));
  if ExpandConstant('{param:MICROPHONE|}') <> '' then
    S := S + ' --microphone ' + Quote(ExpandConstant('{param:MICROPHONE|}'));
  Result := S;
end;

function HasSeatConfig: Boolean;
begin
  Result := ConfigureParams('') <> '--configure --system';
end;

procedure CurStepChanged(CurStep: TSetupStep);
var
  ResultCode: Integer;
begin
  if (CurStep = ssPostInstall) and HasSeatConfig then
  begin
    Log('configure: ' + ConfigureParams(''));
    if not Exec(ExpandConstant('{app}\{#AppExe}'), ConfigureParams(''), '', SW_HIDE, ewWaitUntilTerminated,
      ResultCode) or (ResultCode <> 0) then
    begin
      Log(Format('configure failed, exit code %d', [ResultCode]));
      SuppressibleMsgBox(Format('坐席配置写入失败(退出码 %d)。请检查服务器地址、工号、CA 证书和摄像头参数,' +
        '稍后可运行 "videoteller-seat.exe --configure --system ..." 重新配置。', [ResultCode]),
        mbError, MB_OK, IDOK);
    end;
  end;
end;
